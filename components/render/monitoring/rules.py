"""Prometheus rule groups of the suite: saturation and request recording rules, threshold alerts, SLO burn rates.

The same groups become a rule file on Docker and PrometheusRule objects on Kubernetes. Only `sources` differs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from components.render.monitoring.objectives import (
    BACKUP_TOO_OLD,
    BURN_ALERTS,
    PROBE_FAILING,
    SLI_WINDOWS,
    SLOS,
    THRESHOLDS,
    BurnAlert,
    Slo,
    Threshold,
)
from components.render.monitoring.parts import MonitoringParts
from components.render.monitoring.sources import (
    CLIENT_ERROR_TYPES,
    ERROR_TYPE_LABEL,
    GATEWAY,
    METHOD_LABEL,
    OPERATION_DURATION_METRIC,
    OTHER_TOOL,
    QUEUE_DEPTH_METRIC,
    REQUEST_SOURCES,
    TOOL_CALL,
    TOOL_LABEL,
    MonitoredPlatform,
    RequestSource,
    backup_age_expression,
    has_container_metrics,
    has_operation_metrics,
    saturation_source,
    service_alternation,
)
from components.spec import ServiceSpec

CPU_RATIO = "service:cpu_usage:ratio"
MEMORY_RATIO = "service:memory_usage:ratio"
LATENCY_P95 = "service:request_duration_seconds:p95_rate5m"
SLI_ERROR = "slo:sli_error:ratio_rate"
HEALTH_PROBE_LABEL = "health"
"""Value of the `probe` label on every health probe series, on both targets."""
CONTAINER_SIGNALS = frozenset({"cpu", "memory"})
"""Threshold signals read from container metrics (CPU_RATIO, MEMORY_RATIO): left out where none are exported."""


@dataclass(frozen=True)
class RuleContext:
    """What the rules depend on: the catalog, the target's metric sources and a backup age limit."""

    target: MonitoredPlatform
    services: tuple[ServiceSpec, ...]
    container_prefix: str
    """Docker container names are `<prefix>-<service>`."""
    namespace: str
    """Kubernetes namespace of the services."""
    backup_max_age_hours: int
    parts: MonitoringParts
    """What runs: without container metrics (`has_container_metrics`) the rules on them are left out."""

    @property
    def container_metrics(self) -> bool:
        return has_container_metrics(self.target, self.parts)

    @property
    def tool_calls(self) -> ToolCalls | None:
        """The per-tool series of the services behind the bridge; None when no service exports them."""
        metered = tuple(spec for spec in self.services if has_operation_metrics(spec))
        return ToolCalls(metered) if metered else None


def number(value: float) -> str:
    """A threshold as PromQL prints best: no float noise (14.4 * 0.001 is 0.0144, not 0.014400000000000001)."""
    return f"{value:.10g}"


def bucket_bound(value: float) -> str:
    """An `le` value as Prometheus 3 stores it: it rewrites every bound it ingests in a float's form, so a bucket
    exported as `le="200"` only matches `le="200.0"` (0.2 stays `0.2`)."""
    text = number(value)
    return text if "." in text or "e" in text else f"{text}.0"


def _relabelled(series: str, label: str, regex: str) -> str:
    return f'label_replace({series}, "service", "$1", "{label}", "{regex}")'


class Requests:
    """PromQL over the gateway's request metrics, per catalog service or for the gateway as a whole."""

    def __init__(self, source: RequestSource, services: tuple[ServiceSpec, ...]) -> None:
        self.source = source
        self.regex = source.service_value.format(service=f"({service_alternation(services)})")

    def per_service(self, metric: str, window: str, extra: str = "", by: str = "service") -> str:
        matchers = ", ".join(part for part in (f'{self.source.service_label}=~"{self.regex}"', extra) if part)
        rate = f"rate({metric}{{{matchers}}}[{window}])"
        return f"sum by ({by}) ({_relabelled(rate, self.source.service_label, self.regex)})"

    def gateway(self, metric: str, window: str, extra: str = "") -> str:
        matchers = ", ".join(part for part in (self.source.gateway_selector, extra) if part)
        selector = f"{{{matchers}}}" if matchers else ""
        return f"sum(rate({metric}{selector}[{window}]))"

    def error_ratio(self, slo: Slo, window: str) -> str:
        source = self.source
        server_errors = f'{source.code_label}=~"5.."'
        if slo.latency_seconds is None:
            if slo.scope == "gateway":
                bad = self.gateway(source.gateway_requests, window, server_errors)
                return f"{bad} / {self.gateway(source.gateway_requests, window)}"
            bad = self.per_service(source.requests, window, server_errors)
            return f"{bad} / {self.per_service(source.requests, window)}"
        fast = f'le="{bucket_bound(source.in_duration_unit(slo.latency_seconds))}"'
        if slo.scope == "gateway":
            good = self.gateway(source.gateway_duration_bucket, window, fast)
            return f"1 - ({good} / {self.gateway(source.gateway_duration_count, window)})"
        good = self.per_service(source.duration_bucket, window, fast)
        return f"1 - ({good} / {self.per_service(source.duration_count, window)})"


class ToolCalls:
    """PromQL over the bridge's operation histogram: tools/call per tool of each service (the same on both targets,
    since the scrape labels each series with its `service`)."""

    def __init__(self, services: tuple[ServiceSpec, ...]) -> None:
        # Calls of a tool the server has, that the client did not get wrong: the events a tool's objectives count.
        self.scope = (
            f'service=~"{service_alternation(services)}", {METHOD_LABEL}="{TOOL_CALL}", {TOOL_LABEL}!="{OTHER_TOOL}", '
            f'{ERROR_TYPE_LABEL}!~"{"|".join(CLIENT_ERROR_TYPES)}"'
        )

    def per_tool(self, series: str, window: str, extra: str = "", by: str = f"service, {TOOL_LABEL}") -> str:
        matchers = ", ".join(part for part in (self.scope, extra) if part)
        return f"sum by ({by}) (rate({OPERATION_DURATION_METRIC}_{series}{{{matchers}}}[{window}]))"

    def error_ratio(self, slo: Slo, window: str) -> str:
        total = self.per_tool("count", window)
        if slo.latency_seconds is None:
            failed = self.per_tool("count", window, f'{ERROR_TYPE_LABEL}!=""')
            # A tool with no failed call has no failed series: 0 from its total, so its ratio is recorded as 0.
            return f"({failed} or {total} * 0) / {total}"
        fast = f'le="{bucket_bound(slo.latency_seconds)}"'
        return f"1 - ({self.per_tool('bucket', window, fast)} / {total})"


def _in_seconds(expression: str, source: RequestSource) -> str:
    """A duration in the source's unit as seconds, which every recorded duration and threshold is in."""
    if source.duration_unit_seconds == 1:
        return expression
    # Dividing by the exact 1000 keeps whole milliseconds exact in seconds (500 / 1000 is 0.5; 500 * 0.001 only
    # happens to be).
    return f"{expression} / {number(1 / source.duration_unit_seconds)}"


def _saturation_rules(context: RuleContext) -> list[dict[str, Any]]:
    if not context.container_metrics:
        # Recording a ratio of series nobody exports would only record nothing; the alerts on it are left out too.
        return []
    source = saturation_source(context.target, context.container_prefix, context.namespace)
    regex = source.container_value.format(service=f"({service_alternation(context.services)})")
    selector = ", ".join(part for part in (f'{source.container_label}=~"{regex}"', source.scope) if part)

    def per_service(series: str) -> str:
        return f"sum by (service) ({_relabelled(series, source.container_label, regex)})"

    cpu_used = per_service(f"rate({source.cpu_usage}{{{selector}}}[5m])")
    memory_used = per_service(f"{source.memory_usage}{{{selector}}}")
    return [
        {"record": CPU_RATIO, "expr": f"{cpu_used} / {per_service(source.cpu_limit.format(selector=selector))}"},
        {
            "record": MEMORY_RATIO,
            "expr": f"{memory_used} / {per_service(source.memory_limit.format(selector=selector))}",
        },
    ]


def _measured_slos(context: RuleContext, requests: Requests) -> list[tuple[Slo, Requests | ToolCalls]]:
    """Each SLO with the series it is measured on; the per-tool ones only where a service exports them."""
    tool_calls = context.tool_calls
    measured: list[tuple[Slo, Requests | ToolCalls]] = []
    for slo in SLOS:
        if slo.scope != "tools":
            measured.append((slo, requests))
        elif tool_calls is not None:
            measured.append((slo, tool_calls))
    return measured


def _slo_recording_rules(measured: list[tuple[Slo, Requests | ToolCalls]]) -> list[dict[str, Any]]:
    rules = []
    for slo, source in measured:
        labels = {"slo": slo.name}
        if slo.scope == "gateway":
            labels["service"] = GATEWAY
        rules += [
            {"record": f"{SLI_ERROR}{window}", "expr": source.error_ratio(slo, window), "labels": dict(labels)}
            for window in SLI_WINDOWS
        ]
    return rules


def _threshold_expression(threshold: Threshold, level: float, context: RuleContext) -> str:
    value = number(level)
    if threshold.signal == "cpu":
        return f"{CPU_RATIO} >= {value}"
    if threshold.signal == "memory":
        return f"{MEMORY_RATIO} >= {value}"
    if threshold.signal == "latency":
        return f"{LATENCY_P95} >= {value}"
    if threshold.signal == "errors":
        return f'max by (service) ({SLI_ERROR}5m{{slo="mcp-availability"}}) >= {value}'
    services = service_alternation(context.services)
    return f'max by (service) ({QUEUE_DEPTH_METRIC}{{service=~"{services}"}}) >= {value}'


def _shown(threshold: Threshold, level: float) -> str:
    if threshold.unit == "ratio":
        return f"{number(level * 100)} %"
    if threshold.unit == "seconds":
        return f"{number(level * 1000)} ms"
    return number(level)


def _value_template(threshold: Threshold) -> str:
    if threshold.unit == "ratio":
        return "{{ $value | humanizePercentage }}"
    if threshold.unit == "seconds":
        return "{{ $value | humanizeDuration }}"
    return "{{ $value }}"


def threshold_alerts(context: RuleContext) -> list[dict[str, Any]]:
    alerts = []
    for threshold in THRESHOLDS:
        if threshold.signal in CONTAINER_SIGNALS and not context.container_metrics:
            # Not an absent() alert instead: it would fire for as long as the part stays off, by choice.
            continue
        for suffix, severity, level in (
            ("High", "warning", threshold.warning),
            ("Critical", "critical", threshold.critical),
        ):
            alerts.append(
                {
                    "alert": f"{threshold.alert}{suffix}",
                    "expr": _threshold_expression(threshold, level, context),
                    "for": "5m",
                    "labels": {"severity": severity, "signal": threshold.signal},
                    "annotations": {
                        "summary": f"{{{{ $labels.service }}}}: {threshold.meaning} is {_value_template(threshold)} "
                        f"(at or above {_shown(threshold, level)})",
                        "runbook": threshold.runbook,
                    },
                }
            )
    return alerts


def _burn_expression(slo: Slo, burn: BurnAlert) -> str:
    clauses = []
    for window in burn.windows:
        limit = number(window.factor * slo.error_budget)
        long_ = f'{SLI_ERROR}{window.long}{{slo="{slo.name}"}} > {limit}'
        short = f'{SLI_ERROR}{window.short}{{slo="{slo.name}"}} > {limit}'
        clauses.append(f"({long_} and {short})")
    return " or ".join(clauses)


def slo_alerts(slos: list[Slo]) -> list[dict[str, Any]]:
    alerts = []
    for slo in slos:
        kind = (
            "availability"
            if slo.latency_seconds is None
            else f"latency (under {number(slo.latency_seconds * 1000)} ms)"
        )
        # Per-tool series keep the tool's name through the recording rules, so each tool fires on its own.
        subject = "{{ $labels.service }}" + (f" tool {{{{ $labels.{TOOL_LABEL} }}}}" if slo.scope == "tools" else "")
        for burn in BURN_ALERTS:
            factors = " or ".join(f"{number(w.factor)}x over {w.long} and {w.short}" for w in burn.windows)
            alerts.append(
                {
                    "alert": f"{slo.alert}{burn.suffix}",
                    "expr": _burn_expression(slo, burn),
                    "for": burn.for_,
                    "labels": {"severity": burn.severity, "signal": slo.name, "slo": slo.name},
                    "annotations": {
                        "summary": f"{subject}: {kind} SLO {number(slo.objective * 100)} % is burning "
                        f"its 30-day error budget ({factors})",
                        "runbook": burn.runbook,
                    },
                }
            )
    return alerts


def _health_alerts(context: RuleContext) -> list[dict[str, Any]]:
    services = service_alternation(context.services)
    return [
        {
            "alert": PROBE_FAILING.alert,
            "expr": f'min by (service) (probe_success{{probe="{HEALTH_PROBE_LABEL}", service=~"{services}"}}) == 0',
            "for": "2m",
            "labels": {"severity": PROBE_FAILING.severity, "signal": "probe"},
            "annotations": {
                "summary": f"{{{{ $labels.service }}}}: {PROBE_FAILING.meaning}",
                "runbook": PROBE_FAILING.runbook,
            },
        },
        {
            "alert": BACKUP_TOO_OLD.alert,
            "expr": f"{backup_age_expression(context.target)} > {context.backup_max_age_hours * 3600}",
            "for": "10m",
            "labels": {"severity": BACKUP_TOO_OLD.severity, "signal": "backup"},
            "annotations": {
                "summary": f"backup {{{{ $labels.volume }}}}{{{{ $labels.cronjob }}}}: {BACKUP_TOO_OLD.meaning}; "
                "last success {{ $value | humanizeDuration }} ago",
                "runbook": BACKUP_TOO_OLD.runbook,
            },
        },
    ]


def rule_groups(context: RuleContext) -> list[dict[str, Any]]:
    """Every rule group, in a stable order; `interval` is left to the global evaluation interval."""
    requests = Requests(REQUEST_SOURCES[context.target], context.services)
    measured = _measured_slos(context, requests)
    latency_p95 = _in_seconds(
        f"histogram_quantile(0.95, {requests.per_service(requests.source.duration_bucket, '5m', by='service, le')})",
        requests.source,
    )
    return [
        {
            "name": "mcp-suite.recording",
            "rules": [*_saturation_rules(context), {"record": LATENCY_P95, "expr": latency_p95}],
        },
        {"name": "mcp-suite.slo-recording", "rules": _slo_recording_rules(measured)},
        {"name": "mcp-suite.thresholds", "rules": threshold_alerts(context)},
        {"name": "mcp-suite.slo-alerts", "rules": slo_alerts([slo for slo, _ in measured])},
        {"name": "mcp-suite.health", "rules": _health_alerts(context)},
    ]


def alert_names(groups: list[dict[str, Any]]) -> list[str]:
    return [rule["alert"] for group in groups for rule in group["rules"] if "alert" in rule]
