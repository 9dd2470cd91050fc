"""Grafana dashboards: a platform overview and one dashboard per catalog service, over the recorded series."""

from __future__ import annotations

from typing import Any

from components.render.monitoring.objectives import SLOS, TOOL_AVAILABILITY
from components.render.monitoring.parts import MonitoringParts
from components.render.monitoring.rules import (
    CPU_RATIO,
    HEALTH_PROBE_LABEL,
    LATENCY_P95,
    MEMORY_RATIO,
    SLI_ERROR,
    Requests,
    ToolCalls,
    number,
)
from components.render.monitoring.sources import (
    METHOD_LABEL,
    OPERATION_DURATION_METRIC,
    QUEUE_DEPTH_METRIC,
    REQUEST_SOURCES,
    TOOL_LABEL,
    MonitoredPlatform,
    has_container_metrics,
    has_operation_metrics,
    service_alternation,
)
from components.spec import ServiceSpec

PROMETHEUS_UID = "prometheus"
LOKI_UID = "loki"
FOLDER = "mcp-suite"
TOOL_QUANTILES = (0.5, 0.95, 0.99)


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
        _panel(
            "5xx share (5m)",
            {"{{service}} {{slo}}": f'{SLI_ERROR}5m{{slo=~"{_gateway_availability()}"}}'},
            "percentunit",
        ),
        _panel("p95 latency", {"{{service}}": LATENCY_P95}, "s"),
        *saturation,
        _panel(
            "Firing alerts",
            {"{{alertname}} {{service}}": 'sum by (alertname, service) (ALERTS{alertstate="firing"})'},
            "none",
        ),
    ]
    return _dashboard("mcp-overview", "MCP suite: platform overview", panels)


def _gateway_availability() -> str:
    """The availability SLOs measured at the gateway, whose errors are 5xx answers (a tool's errors are not)."""
    return "|".join(slo.name for slo in SLOS if slo.latency_seconds is None and slo.scope != "tools")


def _tool_panels(spec: ServiceSpec) -> list[dict[str, Any]]:
    """Per tool and per MCP method, from the bridge's histogram; none for a service that does not export it."""
    if not has_operation_metrics(spec):
        return []
    tool_calls = ToolCalls((spec,))
    by_tool = f"{TOOL_LABEL}, le"
    latency = {
        f"{{{{{TOOL_LABEL}}}}} p{number(quantile * 100)}": (
            f"histogram_quantile({number(quantile)}, {tool_calls.per_tool('bucket', '5m', by=by_tool)})"
        )
        for quantile in TOOL_QUANTILES
    }
    methods = f'sum by ({METHOD_LABEL}) (rate({OPERATION_DURATION_METRIC}_count{{service="{spec.name}"}}[5m]))'
    return [
        _panel("Tool latency (p50, p95, p99)", latency, "s"),
        _panel(
            "Tool calls per second",
            {f"{{{{{TOOL_LABEL}}}}}": tool_calls.per_tool("count", "5m", by=TOOL_LABEL)},
            "reqps",
        ),
        _panel(
            "Tool error share (5m)",
            {f"{{{{{TOOL_LABEL}}}}}": f'{SLI_ERROR}5m{{slo="{TOOL_AVAILABILITY.name}", service="{spec.name}"}}'},
            "percentunit",
        ),
        _panel("MCP requests per second by method", {f"{{{{{METHOD_LABEL}}}}}": methods}, "reqps"),
    ]


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
        *_tool_panels(spec),
    ]
    return _dashboard(f"mcp-service-{spec.name}", f"MCP service: {spec.name}", panels)


def dashboards(
    target: MonitoredPlatform, services: tuple[ServiceSpec, ...], parts: MonitoringParts
) -> dict[str, dict[str, Any]]:
    """File name -> dashboard, for provisioning (Docker) or ConfigMaps (Kubernetes)."""
    result = {"mcp-overview.json": overview_dashboard(target, services, parts)}
    result.update({f"mcp-service-{spec.name}.json": service_dashboard(target, spec, parts) for spec in services})
    return result
