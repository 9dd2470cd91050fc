"""Grafana dashboards: a platform overview and one dashboard per catalog service, over the recorded series."""

from __future__ import annotations

from typing import Any

from components.render.monitoring.rules import (
    CPU_RATIO,
    HEALTH_PROBE_LABEL,
    LATENCY_P95,
    MEMORY_RATIO,
    SLI_ERROR,
    Requests,
)
from components.render.monitoring.sources import (
    QUEUE_DEPTH_METRIC,
    REQUEST_SOURCES,
    MonitoredPlatform,
    service_alternation,
)
from components.spec import ServiceSpec

PROMETHEUS_UID = "prometheus"
LOKI_UID = "loki"
FOLDER = "mcp-suite"


def _panel(title: str, exprs: dict[str, str], unit: str, x: int, y: int, kind: str = "timeseries") -> dict[str, Any]:
    return {
        "type": kind,
        "title": title,
        "datasource": {"type": "prometheus", "uid": PROMETHEUS_UID},
        "gridPos": {"h": 8, "w": 12, "x": x, "y": y},
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
        "targets": [
            {"refId": chr(ord("A") + index), "expr": expr, "legendFormat": legend}
            for index, (legend, expr) in enumerate(exprs.items())
        ],
    }


def _dashboard(uid: str, title: str, panels: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "uid": uid,
        "title": title,
        "tags": ["mcp-suite"],
        "timezone": "browser",
        "schemaVersion": 39,
        "refresh": "30s",
        "time": {"from": "now-6h", "to": "now"},
        "editable": False,
        "panels": [{**panel, "id": index + 1} for index, panel in enumerate(panels)],
    }


def _requests_rate(target: MonitoredPlatform, services: tuple[ServiceSpec, ...]) -> str:
    source = REQUEST_SOURCES[target]
    return Requests(source, services).per_service(source.requests, "5m")


def overview_dashboard(target: MonitoredPlatform, services: tuple[ServiceSpec, ...]) -> dict[str, Any]:
    names = service_alternation(services)
    panels = [
        _panel(
            "Health probes (1 = up)",
            {"{{service}}": f'min by (service) (probe_success{{probe="{HEALTH_PROBE_LABEL}", service=~"{names}"}})'},
            "none",
            0,
            0,
        ),
        _panel("Requests per second", {"{{service}}": _requests_rate(target, services)}, "reqps", 12, 0),
        _panel(
            "5xx share (5m)", {"{{service}} {{slo}}": f'{SLI_ERROR}5m{{slo=~".*-availability"}}'}, "percentunit", 0, 8
        ),
        _panel("p95 latency", {"{{service}}": LATENCY_P95}, "s", 12, 8),
        _panel("CPU of limit", {"{{service}}": CPU_RATIO}, "percentunit", 0, 16),
        _panel("Memory of limit", {"{{service}}": MEMORY_RATIO}, "percentunit", 12, 16),
        _panel(
            "Firing alerts",
            {"{{alertname}} {{service}}": 'sum by (alertname, service) (ALERTS{alertstate="firing"})'},
            "none",
            0,
            24,
        ),
    ]
    return _dashboard("mcp-overview", "MCP suite: platform overview", panels)


def service_dashboard(target: MonitoredPlatform, spec: ServiceSpec) -> dict[str, Any]:
    selector = f'service="{spec.name}"'
    panels = [
        _panel("Requests per second", {"requests": _requests_rate(target, (spec,))}, "reqps", 0, 0),
        _panel(
            "Errors (5xx share)",
            {
                "5m": f'{SLI_ERROR}5m{{slo="mcp-availability", {selector}}}',
                "1h": f'{SLI_ERROR}1h{{slo="mcp-availability", {selector}}}',
            },
            "percentunit",
            12,
            0,
        ),
        _panel("p95 latency", {"p95": f"{LATENCY_P95}{{{selector}}}"}, "s", 0, 8),
        _panel(
            "Saturation (share of limits)",
            {
                "cpu": f"{CPU_RATIO}{{{selector}}}",
                "memory": f"{MEMORY_RATIO}{{{selector}}}",
                "queue": f"{QUEUE_DEPTH_METRIC}{{{selector}}}",
            },
            "percentunit",
            12,
            8,
        ),
        _panel(
            "Health probe (1 = up)",
            {"probe": f'probe_success{{probe="{HEALTH_PROBE_LABEL}", {selector}}}'},
            "none",
            0,
            16,
        ),
        _panel(
            "Probe duration",
            {"seconds": f'probe_duration_seconds{{probe="{HEALTH_PROBE_LABEL}", {selector}}}'},
            "s",
            12,
            16,
        ),
    ]
    return _dashboard(f"mcp-service-{spec.name}", f"MCP service: {spec.name}", panels)


def dashboards(target: MonitoredPlatform, services: tuple[ServiceSpec, ...]) -> dict[str, dict[str, Any]]:
    """File name -> dashboard, for provisioning (Docker) or ConfigMaps (Kubernetes)."""
    result = {"mcp-overview.json": overview_dashboard(target, services)}
    result.update({f"mcp-service-{spec.name}.json": service_dashboard(target, spec) for spec in services})
    return result
