"""`promtool test rules` cases: raw exporter series in, which alerts fire out.

Inputs are what each target's exporters emit (cAdvisor, kube-state-metrics, Traefik, ingress-nginx, blackbox),
written out here independently of the rule renderer, so a wrong metric name or label in the rules fails a case.
Levels are chosen so that the ratios are exact in floating point: "at the threshold" means exactly at it.
"""

from __future__ import annotations

from typing import Any

from components.render.monitoring.objectives import BACKUP_TOO_OLD, BURN_ALERTS, PROBE_FAILING, THRESHOLDS, Slo

SERVICE = "memory"
STACK_PREFIX = "mcp-test"
NAMESPACE = "mcp-test"
BACKUP_MAX_AGE_HOURS = 1

# How each target's gateway labels the backend service `memory`.
GATEWAY_SERVICE_LABEL = {"docker": 'service="memory@docker"', "kubernetes": 'service="memory"'}


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
        else ("nginx_ingress_controller_requests", "status")
    )


def _duration_metric(target: str) -> str:
    return (
        "traefik_service_request_duration_seconds"
        if target == "docker"
        else "nginx_ingress_controller_request_duration_seconds"
    )


def error_series(target: str, errors_per_minute: float, ok_per_minute: float, minutes: int) -> list[dict[str, str]]:
    metric, code = _request_metric(target)
    service = GATEWAY_SERVICE_LABEL[target]
    return [
        {"series": f'{metric}{{{service}, {code}="500"}}', "values": counter(errors_per_minute, minutes)},
        {"series": f'{metric}{{{service}, {code}="200"}}', "values": counter(ok_per_minute, minutes)},
    ]


def latency_series(target: str, cumulative_per_second: dict[str, float], minutes: int) -> list[dict[str, str]]:
    """Histogram buckets `{le: cumulative requests per second}`; `+Inf` is the count."""
    metric = _duration_metric(target)
    service = GATEWAY_SERVICE_LABEL[target]
    series = [
        {"series": f'{metric}_bucket{{{service}, le="{le}"}}', "values": counter(rate * 60, minutes)}
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
        labels = entry
    else:
        if slo.latency_seconds is None:
            return [
                {
                    "series": f'nginx_ingress_controller_requests{{service="{name}", status="502"}}',
                    "values": counter(bad / 2, minutes),
                }
                for name in ("memory", "everything")
            ] + [
                {
                    "series": f'nginx_ingress_controller_requests{{service="{name}", status="200"}}',
                    "values": counter((total - bad) / 2, minutes),
                }
                for name in ("memory", "everything")
            ]
        metric = "nginx_ingress_controller_request_duration_seconds"
        labels = 'service="memory"'
    return [
        {
            "series": f'{metric}_bucket{{{labels}, le="{slo.latency_seconds:g}"}}',
            "values": counter(total - bad, minutes),
        },
        {"series": f"{metric}_count{{{labels}}}", "values": counter(total, minutes)},
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
            "series": f'{metric}_bucket{{{service}, le="{slo.latency_seconds:g}"}}',
            "values": counter(total - bad, minutes),
        },
        {"series": f"{metric}_count{{{service}}}", "values": counter(total, minutes)},
    ]


def expected(alert: str, labels: dict[str, str], summary: str) -> dict[str, Any]:
    return {"exp_labels": labels, "exp_annotations": {"summary": summary, "runbook": _runbook(alert)}}


def check(alert: str, minute: int, *firing: dict[str, Any]) -> dict[str, Any]:
    return {"eval_time": f"{minute}m", "alertname": alert, "exp_alerts": list(firing)}
