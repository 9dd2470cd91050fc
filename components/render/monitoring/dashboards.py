"""Grafana dashboards: a platform overview and one dashboard per catalog service, over the recorded series."""

from __future__ import annotations

from typing import Any

from components.render.monitoring.parts import MonitoringParts
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
    has_container_metrics,
    service_alternation,
)
from components.spec import ServiceSpec

PROMETHEUS_UID = "prometheus"
LOKI_UID = "loki"
FOLDER = "mcp-suite"


def _panel(title: str, exprs: dict[str, str], unit: str) -> dict[str, Any]:
    return {
        "type": "timeseries",
        "title": title,
        "datasource": {"type": "prometheus", "uid": PROMETHEUS_UID},
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
        # Two panels per row in order, so a panel left out leaves no hole.
        "panels": [
            {**panel, "id": index + 1, "gridPos": {"h": 8, "w": 12, "x": 12 * (index % 2), "y": 8 * (index // 2)}}
            for index, panel in enumerate(panels)
        ],
    }


def _requests_rate(target: MonitoredPlatform, services: tuple[ServiceSpec, ...]) -> str:
    source = REQUEST_SOURCES[target]
    return Requests(source, services).per_service(source.requests, "5m")


def overview_dashboard(
    target: MonitoredPlatform, services: tuple[ServiceSpec, ...], parts: MonitoringParts
) -> dict[str, Any]:
    names = service_alternation(services)
    saturation = (
        [
            _panel("CPU of limit", {"{{service}}": CPU_RATIO}, "percentunit"),
            _panel("Memory of limit", {"{{service}}": MEMORY_RATIO}, "percentunit"),
        ]
        # The ratios are recorded only where container metrics are exported (rules.py leaves them out too).
        if has_container_metrics(target, parts)
        else []
    )
    panels = [
        _panel(
            "Health probes (1 = up)",
            {"{{service}}": f'min by (service) (probe_success{{probe="{HEALTH_PROBE_LABEL}", service=~"{names}"}})'},
            "none",
        ),
        _panel("Requests per second", {"{{service}}": _requests_rate(target, services)}, "reqps"),
        _panel("5xx share (5m)", {"{{service}} {{slo}}": f'{SLI_ERROR}5m{{slo=~".*-availability"}}'}, "percentunit"),
        _panel("p95 latency", {"{{service}}": LATENCY_P95}, "s"),
        *saturation,
        _panel(
            "Firing alerts",
            {"{{alertname}} {{service}}": 'sum by (alertname, service) (ALERTS{alertstate="firing"})'},
            "none",
        ),
    ]
    return _dashboard("mcp-overview", "MCP suite: platform overview", panels)


def service_dashboard(target: MonitoredPlatform, spec: ServiceSpec, parts: MonitoringParts) -> dict[str, Any]:
    selector = f'service="{spec.name}"'
    queue = f"{QUEUE_DEPTH_METRIC}{{{selector}}}"
    saturation = (
        _panel(
            "Saturation (share of limits)",
            {"cpu": f"{CPU_RATIO}{{{selector}}}", "memory": f"{MEMORY_RATIO}{{{selector}}}", "queue": queue},
            "percentunit",
        )
        if has_container_metrics(target, parts)
        # Without container metrics only the queue is left: a count, not a share of a limit.
        else _panel("Queue depth", {"queue": queue}, "none")
    )
    panels = [
        _panel("Requests per second", {"requests": _requests_rate(target, (spec,))}, "reqps"),
        _panel(
            "Errors (5xx share)",
            {
                "5m": f'{SLI_ERROR}5m{{slo="mcp-availability", {selector}}}',
                "1h": f'{SLI_ERROR}1h{{slo="mcp-availability", {selector}}}',
            },
            "percentunit",
        ),
        _panel("p95 latency", {"p95": f"{LATENCY_P95}{{{selector}}}"}, "s"),
        saturation,
        _panel(
            "Health probe (1 = up)", {"probe": f'probe_success{{probe="{HEALTH_PROBE_LABEL}", {selector}}}'}, "none"
        ),
        _panel(
            "Probe duration",
            {"seconds": f'probe_duration_seconds{{probe="{HEALTH_PROBE_LABEL}", {selector}}}'},
            "s",
        ),
    ]
    return _dashboard(f"mcp-service-{spec.name}", f"MCP service: {spec.name}", panels)


def dashboards(
    target: MonitoredPlatform, services: tuple[ServiceSpec, ...], parts: MonitoringParts
) -> dict[str, dict[str, Any]]:
    """File name -> dashboard, for provisioning (Docker) or ConfigMaps (Kubernetes)."""
    result = {"mcp-overview.json": overview_dashboard(target, services, parts)}
    result.update({f"mcp-service-{spec.name}.json": service_dashboard(target, spec, parts) for spec in services})
    return result
