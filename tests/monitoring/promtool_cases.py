"""`promtool test rules` cases: raw exporter series in, which alerts fire out.

Inputs are what each target's exporters emit (cAdvisor, kube-state-metrics, Traefik, Envoy, blackbox), as
Prometheus 3 stores it, written out here independently of the rule renderer, so a wrong metric name, label or
unit in the rules fails a case.
Levels are chosen so that the ratios are exact in floating point: "at the threshold" means exactly at it.
"""

from __future__ import annotations

from typing import Any

from components.render.monitoring.objectives import BACKUP_TOO_OLD, BURN_ALERTS, PROBE_FAILING, THRESHOLDS, Slo

SERVICE = "memory"
STACK_PREFIX = "mcp-test"
NAMESPACE = "mcp-test"
BACKUP_MAX_AGE_HOURS = 1


def envoy_cluster(route: str) -> str:
    """Envoy Gateway's name for the upstream cluster of an HTTPRoute's first rule."""
    return f'envoy_cluster_name="httproute/{NAMESPACE}/{route}/rule/0"'


# How each target's gateway labels the backend service `memory`.
GATEWAY_SERVICE_LABEL = {"docker": 'service="memory@docker"', "kubernetes": envoy_cluster(SERVICE)}
ENVOY_OWN_CLUSTER = 'envoy_cluster_name="xds_cluster"'
"""A cluster of Envoy's own (its control plane), not traffic to the services: the gateway SLOs must not count it."""


def counter(per_minute: float, minutes: int) -> str:
    return f"0+{per_minute:g}x{minutes}"


def gauge(value: float, minutes: int) -> str:
    return f"{value:g}x{minutes}"


def _runbook(alert: str) -> str:
    for threshold in THRESHOLDS:
        if alert.startswith(threshold.alert):
            return threshold.runbook
    for burn in BURN_ALERTS:
        if alert.endswith(burn.suffix):
            return burn.runbook
    return {PROBE_FAILING.alert: PROBE_FAILING.runbook, BACKUP_TOO_OLD.alert: BACKUP_TOO_OLD.runbook}[alert]


def cpu_series(target: str, cores: float, minutes: int) -> list[dict[str, str]]:
    """`cores` in use out of a 100-core limit, so the share equals cores / 100 exactly."""
    if target == "docker":
        name = f'name="{STACK_PREFIX}-{SERVICE}"'
        return [
            {"series": f"container_cpu_usage_seconds_total{{{name}}}", "values": counter(cores * 60, minutes)},
            {"series": f"container_spec_cpu_quota{{{name}}}", "values": gauge(10_000_000, minutes)},
            {"series": f"container_spec_cpu_period{{{name}}}", "values": gauge(100_000, minutes)},
        ]
    labels = f'namespace="{NAMESPACE}", pod="{SERVICE}-0", container="{SERVICE}"'
    return [
        {"series": f"container_cpu_usage_seconds_total{{{labels}}}", "values": counter(cores * 60, minutes)},
        {
            "series": f'kube_pod_container_resource_limits{{{labels}, resource="cpu", unit="core"}}',
            "values": gauge(100, minutes),
        },
    ]


def memory_series(target: str, used: float, minutes: int) -> list[dict[str, str]]:
    """`used` bytes of a 1000-byte limit."""
    if target == "docker":
        name = f'name="{STACK_PREFIX}-{SERVICE}"'
        return [
            {"series": f"container_memory_working_set_bytes{{{name}}}", "values": gauge(used, minutes)},
            {"series": f"container_spec_memory_limit_bytes{{{name}}}", "values": gauge(1000, minutes)},
        ]
    labels = f'namespace="{NAMESPACE}", pod="{SERVICE}-0", container="{SERVICE}"'
    return [
        {"series": f"container_memory_working_set_bytes{{{labels}}}", "values": gauge(used, minutes)},
        {
            "series": f'kube_pod_container_resource_limits{{{labels}, resource="memory", unit="byte"}}',
            "values": gauge(1000, minutes),
        },
    ]


def _request_metric(target: str) -> tuple[str, str]:
    return (
        ("traefik_service_requests_total", "code")
        if target == "docker"
        else ("envoy_cluster_upstream_rq", "envoy_response_code")
    )


def _duration_metric(target: str) -> str:
    return "traefik_service_request_duration_seconds" if target == "docker" else "envoy_cluster_upstream_rq_time"


def bound(target: str, seconds: str) -> str:
    """A bucket's `le` as stored: Traefik counts seconds; Envoy counts milliseconds, and Prometheus 3 stores its
    whole-number bounds in a float's form (`le="200"` as `le="200.0"`)."""
    if target == "docker" or seconds == "+Inf":
        return seconds
    return f"{float(seconds) * 1000:.1f}"


def error_series(target: str, errors_per_minute: float, ok_per_minute: float, minutes: int) -> list[dict[str, str]]:
    metric, code = _request_metric(target)
    service = GATEWAY_SERVICE_LABEL[target]
    return [
        {"series": f'{metric}{{{service}, {code}="500"}}', "values": counter(errors_per_minute, minutes)},
        {"series": f'{metric}{{{service}, {code}="200"}}', "values": counter(ok_per_minute, minutes)},
    ]


def latency_series(target: str, cumulative_per_second: dict[str, float], minutes: int) -> list[dict[str, str]]:
    """Histogram buckets `{le in seconds: cumulative requests per second}`; `+Inf` is the count."""
    metric = _duration_metric(target)
    service = GATEWAY_SERVICE_LABEL[target]
    series = [
        {"series": f'{metric}_bucket{{{service}, le="{bound(target, le)}"}}', "values": counter(rate * 60, minutes)}
        for le, rate in cumulative_per_second.items()
    ]
    series.append(
        {"series": f"{metric}_count{{{service}}}", "values": counter(cumulative_per_second["+Inf"] * 60, minutes)}
    )
    return series


def gateway_series(target: str, slo: Slo, bad_share: float, minutes: int) -> list[dict[str, str]]:
    """The gateway's aggregate traffic with `bad_share` of its requests bad for `slo` (errors or slow)."""
    total = 100_000
    bad = round(total * bad_share)
    if target == "docker":
        entry = 'entrypoint="websecure"'
        if slo.latency_seconds is None:
            return [
                {
                    "series": f'traefik_entrypoint_requests_total{{{entry}, code="503"}}',
                    "values": counter(bad, minutes),
                },
                {
                    "series": f'traefik_entrypoint_requests_total{{{entry}, code="200"}}',
                    "values": counter(total - bad, minutes),
                },
                # Traefik's own `traefik` entry point (metrics, ping) is not user traffic: its errors must not count.
                {
                    "series": 'traefik_entrypoint_requests_total{entrypoint="traefik", code="500"}',
                    "values": counter(total, minutes),
                },
            ]
        metric = "traefik_entrypoint_request_duration_seconds"
        return [
            {
                "series": f'{metric}_bucket{{{entry}, le="{slo.latency_seconds:g}"}}',
                "values": counter(total - bad, minutes),
            },
            {"series": f"{metric}_count{{{entry}}}", "values": counter(total, minutes)},
        ]
    # Envoy: the gateway's traffic is split over every route's cluster, beside a cluster of Envoy's own whose
    # requests all fail and are slow; counting it would raise every alert, even within budget.
    routes = [envoy_cluster(route) for route in ("memory", "everything")]
    if slo.latency_seconds is None:
        return [
            *(
                {"series": f'envoy_cluster_upstream_rq{{{cluster}, envoy_response_code="{code}"}}', "values": values}
                for cluster in routes
                for code, values in (
                    ("502", counter(bad / 2, minutes)),
                    ("200", counter((total - bad) / 2, minutes)),
                )
            ),
            {
                "series": f'envoy_cluster_upstream_rq{{{ENVOY_OWN_CLUSTER}, envoy_response_code="503"}}',
                "values": counter(total, minutes),
            },
        ]
    fast = bound(target, f"{slo.latency_seconds:g}")
    metric = "envoy_cluster_upstream_rq_time"
    return [
        *(
            series
            for cluster in routes
            for series in (
                {"series": f'{metric}_bucket{{{cluster}, le="{fast}"}}', "values": counter((total - bad) / 2, minutes)},
                {"series": f"{metric}_count{{{cluster}}}", "values": counter(total / 2, minutes)},
            )
        ),
        {"series": f'{metric}_bucket{{{ENVOY_OWN_CLUSTER}, le="{fast}"}}', "values": counter(0, minutes)},
        {"series": f"{metric}_count{{{ENVOY_OWN_CLUSTER}}}", "values": counter(total, minutes)},
    ]


def service_slo_series(target: str, slo: Slo, bad_share: float, minutes: int) -> list[dict[str, str]]:
    total = 100_000
    bad = round(total * bad_share)
    if slo.latency_seconds is None:
        return error_series(target, bad, total - bad, minutes)
    metric = _duration_metric(target)
    service = GATEWAY_SERVICE_LABEL[target]
    return [
        {
            "series": f'{metric}_bucket{{{service}, le="{bound(target, f"{slo.latency_seconds:g}")}"}}',
            "values": counter(total - bad, minutes),
        },
        {"series": f"{metric}_count{{{service}}}", "values": counter(total, minutes)},
    ]


def expected(alert: str, labels: dict[str, str], summary: str) -> dict[str, Any]:
    return {"exp_labels": labels, "exp_annotations": {"summary": summary, "runbook": _runbook(alert)}}


def check(alert: str, minute: int, *firing: dict[str, Any]) -> dict[str, Any]:
    return {"eval_time": f"{minute}m", "alertname": alert, "exp_alerts": list(firing)}


# What each target's scrape adds to the bridge's series: Docker's static job labels the service; a ServiceMonitor's
# target carries the Kubernetes Service's name as `service`, besides its namespace, pod and endpoint.
BRIDGE_SCRAPE_LABELS = {
    "docker": f'job="mcp-services", service="{SERVICE}", instance="{SERVICE}:8000"',
    "kubernetes": (
        f'job="{SERVICE}", service="{SERVICE}", namespace="{NAMESPACE}", pod="{SERVICE}-0", container="{SERVICE}", '
        'endpoint="http", instance="10.244.1.7:8000"'
    ),
}
OPERATION = "mcp_server_operation_duration"
PROTOCOL = 'mcp_protocol_version="2026-07-28"'
SCOPE = 'otel_scope_name="mcp-suite-bridge"'


def _operation_series(target: str, labels: str, calls: float, fast: float, minutes: int) -> list[dict[str, str]]:
    """One label set of the bridge's histogram: `calls` per minute, `fast` of them under 0.2 s, the rest between
    0.5 s and 1 s. Bounds as Prometheus 3 stores them (the exporter's `le="1"` as `le="1.0"`)."""
    scraped = f"{BRIDGE_SCRAPE_LABELS[target]}, {labels}, {SCOPE}"
    buckets = {"0.2": fast, "0.5": fast, "1.0": calls, "+Inf": calls}
    return [
        *(
            {"series": f'{OPERATION}_bucket{{{scraped}, le="{le}"}}', "values": counter(per_minute, minutes)}
            for le, per_minute in buckets.items()
        ),
        {"series": f"{OPERATION}_count{{{scraped}}}", "values": counter(calls, minutes)},
    ]


def tool_series(tool: str, failed_share: float, slow_share: float, minutes: int, target: str) -> list[dict[str, str]]:
    """1000 tools/call of `tool` a minute: `failed_share` of them failed (half a tool result with `isError`, half a
    JSON-RPC internal error, which carries no protocol version) and `slow_share` of them successful but slower than
    0.5 s. Besides them, as many calls again with the client's mistakes (invalid params), which are no failure."""
    calls = 1000.0
    failed = calls * failed_share
    slow = calls * slow_share
    call = f'mcp_method_name="tools/call", gen_ai_tool_name="{tool}"'
    return [
        *_operation_series(target, f"{call}, {PROTOCOL}", calls - failed, calls - failed - slow, minutes),
        *_operation_series(target, f'{call}, error_type="tool_error", {PROTOCOL}', failed / 2, failed / 2, minutes),
        *_operation_series(target, f'{call}, error_type="-32603"', failed / 2, failed / 2, minutes),
        *_operation_series(target, f'{call}, error_type="-32602"', calls, calls, minutes),
    ]


def other_methods_series(target: str, minutes: int) -> list[dict[str, str]]:
    """Requests that are no tool's: every tools/list fails, initialize is slow, and every call of a tool the server
    does not have fails. Counted for a tool, they would raise a per-tool alert."""
    unknown = 'mcp_method_name="tools/call", gen_ai_tool_name="_OTHER", error_type="tool_error"'
    return [
        *_operation_series(target, f"{unknown}, {PROTOCOL}", 1000, 0, minutes),
        *_operation_series(
            target, f'mcp_method_name="tools/list", error_type="-32601", {PROTOCOL}', 1000, 1000, minutes
        ),
        *_operation_series(target, f'mcp_method_name="initialize", {PROTOCOL}', 1000, 0, minutes),
    ]
