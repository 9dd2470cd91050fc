"""The generated rules, run by `promtool test rules`: each alert fires at its level and stays silent below it.

One promtool run per target and family of cases; a failing case prints promtool's own diff of the alerts.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from components.render.monitoring.objectives import (
    BACKUP_TOO_OLD,
    PROBE_FAILING,
    SLOS,
    THRESHOLDS,
    TOOL_AVAILABILITY,
    TOOL_LATENCY,
    Slo,
)
from components.render.monitoring.parts import MonitoringParts
from components.render.monitoring.rules import (
    CONTAINER_SIGNALS,
    CPU_RATIO,
    MEMORY_RATIO,
    RuleContext,
    alert_names,
    rule_groups,
)
from components.render.monitoring.text import to_yaml
from components.spec import ServiceSpec
from tests.helpers.tools import require_tool
from tests.monitoring import promtool_cases as cases
from tests.monitoring.promtool_cases import SERVICE, check, expected

TARGETS = ("docker", "kubernetes")
LEVELS = ("High", "Critical")
EVERY_PART = MonitoringParts(dashboards=True, logs=True, tracing=True)
SPECS = (
    ServiceSpec.model_validate(
        {"name": "everything", "image": "example.org/mcp/server:1.0", "transport": "streamable-http", "port": 8080}
    ),
    # Behind the bridge, so its tools have SLOs of their own.
    ServiceSpec.model_validate(
        {"name": SERVICE, "build": {"server": SERVICE}, "transport": "stdio", "bridge": {}, "port": 8000}
    ),
)


def context(target: str, parts: MonitoringParts = EVERY_PART) -> RuleContext:
    return RuleContext(
        target=target,  # type: ignore[arg-type]
        services=SPECS,
        container_prefix=cases.STACK_PREFIX,
        namespace=cases.NAMESPACE,
        backup_max_age_hours=cases.BACKUP_MAX_AGE_HOURS,
        parts=parts,
    )


def run_promtool(tmp_path: Path, groups: list[dict[str, Any]], tests: list[dict[str, Any]]) -> None:
    promtool = require_tool("promtool")
    (tmp_path / "rules.yml").write_text(to_yaml({"groups": groups}))
    (tmp_path / "tests.yml").write_text(
        to_yaml({"rule_files": ["rules.yml"], "evaluation_interval": "1m", "tests": tests})
    )
    result = subprocess.run(
        [promtool, "test", "rules", "tests.yml"], cwd=tmp_path, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr


def group(series: list[dict[str, str]], *alert_tests: dict[str, Any]) -> dict[str, Any]:
    return {"interval": "1m", "input_series": series, "alert_rule_test": list(alert_tests)}


# (signal, level name, series at the level, series just below, value as the summary prints it, level as printed)
def threshold_scenarios(target: str) -> list[tuple[str, str, list[dict[str, str]], list[dict[str, str]], str, str]]:
    minutes = 20
    queue = 'mcp_task_queue_depth{job="mcp-services", service="memory"}'
    buckets_at_500ms = {"0.2": 50, "0.3": 90, "0.5": 95, "1": 100, "2": 100, "+Inf": 100}
    buckets_under_500ms = {**buckets_at_500ms, "0.5": 96}
    buckets_at_2s = {"0.2": 50, "0.3": 60, "0.5": 70, "1": 90, "2": 95, "5": 100, "+Inf": 100}
    buckets_under_2s = {**buckets_at_2s, "2": 96}
    return [
        ("cpu", "High", cases.cpu_series(target, 60, minutes), cases.cpu_series(target, 59, minutes), "60%", "60 %"),
        (
            "cpu",
            "Critical",
            cases.cpu_series(target, 85, minutes),
            cases.cpu_series(target, 84, minutes),
            "85%",
            "85 %",
        ),
        (
            "memory",
            "High",
            cases.memory_series(target, 700, minutes),
            cases.memory_series(target, 699, minutes),
            "70%",
            "70 %",
        ),
        (
            "memory",
            "Critical",
            cases.memory_series(target, 900, minutes),
            cases.memory_series(target, 899, minutes),
            "90%",
            "90 %",
        ),
        (
            "latency",
            "High",
            cases.latency_series(target, buckets_at_500ms, minutes),
            cases.latency_series(target, buckets_under_500ms, minutes),
            "500ms",
            "500 ms",
        ),
        (
            "latency",
            "Critical",
            cases.latency_series(target, buckets_at_2s, minutes),
            cases.latency_series(target, buckets_under_2s, minutes),
            "2s",
            "2000 ms",
        ),
        (
            "errors",
            "High",
            cases.error_series(target, 60, 5940, minutes),
            cases.error_series(target, 59.4, 5940.6, minutes),
            "1%",
            "1 %",
        ),
        (
            "errors",
            "Critical",
            cases.error_series(target, 600, 5400, minutes),
            cases.error_series(target, 594, 5406, minutes),
            "10%",
            "10 %",
        ),
        (
            "queue",
            "High",
            [{"series": queue, "values": cases.gauge(100, minutes)}],
            [{"series": queue, "values": cases.gauge(99, minutes)}],
            "100",
            "100",
        ),
        (
            "queue",
            "Critical",
            [{"series": queue, "values": cases.gauge(1000, minutes)}],
            [{"series": queue, "values": cases.gauge(999, minutes)}],
            "1000",
            "1000",
        ),
    ]


def threshold_tests(target: str, signals: set[str]) -> list[dict[str, Any]]:
    """promtool cases: each threshold alert of `signals` fires at its level and stays silent just below it."""
    thresholds = {threshold.signal: threshold for threshold in THRESHOLDS}
    tests = []
    for signal, level, at, below, value, shown in threshold_scenarios(target):
        if signal not in signals:
            continue
        threshold = thresholds[signal]
        alert = f"{threshold.alert}{level}"
        severity = "warning" if level == "High" else "critical"
        summary = f"{SERVICE}: {threshold.meaning} is {value} (at or above {shown})"
        labels = {"service": SERVICE, "severity": severity, "signal": signal}
        tests.append(group(at, check(alert, 12, expected(alert, labels, summary))))
        tests.append(group(below, check(alert, 12), check(alert, 19)))
    return tests


@pytest.mark.parametrize("target", TARGETS)
def test_each_threshold_alert_fires_at_its_threshold_and_not_below(tmp_path: Path, target: str) -> None:
    scenarios = threshold_scenarios(target)
    assert {(signal, level) for signal, level, *_ in scenarios} == {
        (t.signal, lv) for t in THRESHOLDS for lv in ("High", "Critical")
    }
    tests = threshold_tests(target, {threshold.signal for threshold in THRESHOLDS})
    run_promtool(tmp_path, rule_groups(context(target)), tests)


def test_a_container_replaced_side_by_side_counts_for_its_service(tmp_path: Path) -> None:
    """On Docker a stateless service's container is named with a generated suffix (`mcp-test-memory-1a2b3c4`): its
    CPU and memory still reach the service's alerts, under the service's name."""
    plain, suffixed = f'name="{cases.STACK_PREFIX}-{SERVICE}"', f'name="{cases.STACK_PREFIX}-{SERVICE}-0af438b"'
    at = [
        {**series, "series": series["series"].replace(plain, suffixed)}
        for series in cases.cpu_series("docker", 60, 20) + cases.memory_series("docker", 700, 20)
    ]
    assert all(suffixed in series["series"] for series in at)
    alerts = {"ServiceCpuHigh": ("cpu", "60%", "60 %"), "ServiceMemoryHigh": ("memory", "70%", "70 %")}
    meanings = {threshold.signal: threshold.meaning for threshold in THRESHOLDS}
    checks = [
        check(
            alert,
            12,
            expected(
                alert,
                {"service": SERVICE, "severity": "warning", "signal": signal},
                f"{SERVICE}: {meanings[signal]} is {value} (at or above {shown})",
            ),
        )
        for alert, (signal, value, shown) in alerts.items()
    ]
    run_promtool(tmp_path, rule_groups(context("docker")), [group(at, *checks)])


def test_without_the_log_pipeline_docker_drops_the_container_alerts_and_keeps_the_others(tmp_path: Path) -> None:
    """Docker's cAdvisor runs inside Alloy: with logs off nothing exports container CPU or memory. Their rules are
    left out (an alert on no series never fires; an absent() one would fire for as long as logs stay off); every
    other threshold still fires at its level, from the rule file as Docker renders it then."""
    groups = rule_groups(context("docker", MonitoringParts(logs=False)))
    recorded = {rule["record"] for group_ in groups for rule in group_["rules"] if "record" in rule}
    assert not {CPU_RATIO, MEMORY_RATIO} & recorded
    container_alerts = {f"{t.alert}{level}" for t in THRESHOLDS if t.signal in CONTAINER_SIGNALS for level in LEVELS}
    assert container_alerts == {"ServiceCpuHigh", "ServiceCpuCritical", "ServiceMemoryHigh", "ServiceMemoryCritical"}
    assert not container_alerts & set(alert_names(groups))
    others = {threshold.signal for threshold in THRESHOLDS} - CONTAINER_SIGNALS
    assert others == {"latency", "errors", "queue"}
    run_promtool(tmp_path, groups, threshold_tests("docker", others))


@pytest.mark.parametrize("target", TARGETS)
def test_probe_and_backup_alerts(tmp_path: Path, target: str) -> None:
    probe = (
        'probe_success{job="health-probes", probe="health", service="memory", instance="http://memory:8080/healthz"}'
    )
    probe_labels = {"service": SERVICE, "severity": "critical", "signal": "probe"}
    probe_summary = f"{SERVICE}: {PROBE_FAILING.meaning}"
    if target == "docker":
        backups = [{"series": 'mcp_backup_last_success_timestamp_seconds{volume="memory-graph"}', "values": "0x90"}]
        backup_labels = {"volume": "memory-graph", "severity": "warning", "signal": "backup"}
        name = "memory-graph"
    else:
        cronjob = f'namespace="{cases.NAMESPACE}", cronjob="memory-graph-backup"'
        report = f'namespace="{cases.NAMESPACE}", cronjob="weekly-report"'
        backups = [
            {"series": f"kube_cronjob_status_last_successful_time{{{cronjob}}}", "values": "0x90"},
            {
                "series": f'kube_cronjob_labels{{{cronjob}, label_app_kubernetes_io_component="backup"}}',
                "values": "1x90",
            },
            # An old CronJob that is not a backup raises nothing.
            {"series": f"kube_cronjob_status_last_successful_time{{{report}}}", "values": "0x90"},
            {
                "series": f'kube_cronjob_labels{{{report}, label_app_kubernetes_io_component="report"}}',
                "values": "1x90",
            },
        ]
        backup_labels = {
            "namespace": cases.NAMESPACE,
            "cronjob": "memory-graph-backup",
            "severity": "warning",
            "signal": "backup",
        }
        name = "memory-graph-backup"
    too_old = 75  # minutes: the last success (at 0) is 1 h 15 min old, the limit is 1 h and the alert waits 10 min
    backup_summary = f"backup {name}: {BACKUP_TOO_OLD.meaning}; last success 1h 15m 0s ago"
    tests = [
        group(
            [{"series": probe, "values": "0x10"}],
            check(PROBE_FAILING.alert, 1),
            check(PROBE_FAILING.alert, 4, expected(PROBE_FAILING.alert, probe_labels, probe_summary)),
        ),
        group([{"series": probe, "values": "1x10"}], check(PROBE_FAILING.alert, 4), check(PROBE_FAILING.alert, 9)),
        group(
            backups,
            check(BACKUP_TOO_OLD.alert, 60),
            check(BACKUP_TOO_OLD.alert, 70),
            check(BACKUP_TOO_OLD.alert, too_old, expected(BACKUP_TOO_OLD.alert, backup_labels, backup_summary)),
        ),
    ]
    run_promtool(tmp_path, rule_groups(context(target)), tests)


def slo_series(target: str, slo: Slo, burn: float, minutes: int, tool: str = "echo") -> list[dict[str, str]]:
    """Traffic whose bad share spends the error budget `burn` times faster than allowed."""
    share = burn * slo.error_budget
    if slo.scope == "gateway":
        return cases.gateway_series(target, slo, share, minutes)
    if slo.scope == "tools":
        failed, slow = (share, 0.0) if slo.latency_seconds is None else (0.0, share)
        return cases.tool_series(tool, failed, slow, minutes, target)
    return cases.service_slo_series(target, slo, share, minutes)


def slo_summary(slo: Slo, service: str, tool: str = "echo") -> str:
    kind = "availability" if slo.latency_seconds is None else f"latency (under {slo.latency_seconds * 1000:g} ms)"
    subject = f"{service} tool {tool}" if slo.scope == "tools" else service
    return f"{subject}: {kind} SLO {slo.objective * 100:g} % is burning its 30-day error budget "


def slo_labels(slo: Slo, tool: str = "echo") -> dict[str, str]:
    service = "gateway" if slo.scope == "gateway" else SERVICE
    labels = {"service": service, "slo": slo.name, "signal": slo.name}
    return {**labels, "gen_ai_tool_name": tool} if slo.scope == "tools" else labels


PAGE_FACTORS = "(14.4x over 1h and 5m or 6x over 6h and 30m)"
TICKET_FACTORS = "(3x over 1d and 2h or 1x over 3d and 6h)"


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("slo", SLOS, ids=[slo.name for slo in SLOS])
def test_slo_alerts_page_on_fast_burn_ticket_on_slow_burn_and_stay_silent_within_budget(
    tmp_path: Path, target: str, slo: Slo
) -> None:
    labels = slo_labels(slo)
    page, ticket = f"{slo.alert}FastBurn", f"{slo.alert}SlowBurn"
    page_alert = expected(page, {**labels, "severity": "critical"}, slo_summary(slo, labels["service"]) + PAGE_FACTORS)
    ticket_alert = expected(
        ticket, {**labels, "severity": "warning"}, slo_summary(slo, labels["service"]) + TICKET_FACTORS
    )
    tests = [
        # 16x: 1h and 5m windows both above 14.4x; pages within minutes.
        group(slo_series(target, slo, 16, 15), check(page, 10, page_alert)),
        # 8x: below 14.4x, above 6x on 6h and 30m; pages through the second window pair, not the first.
        group(slo_series(target, slo, 8, 45), check(page, 40, page_alert)),
        # 1.5x for an hour: a ticket, no page.
        group(slo_series(target, slo, 1.5, 70), check(ticket, 60, ticket_alert), check(page, 60)),
        # Half the allowed rate for three hours (every window holds the same share): nothing, ever.
        group(
            slo_series(target, slo, 0.5, 3 * 60),
            check(page, 10),
            check(ticket, 30),
            check(page, 3 * 60),
            check(ticket, 3 * 60),
        ),
    ]
    run_promtool(tmp_path, rule_groups(context(target)), tests)


def test_promtool_catches_a_threshold_off_by_a_little(tmp_path: Path) -> None:
    """The harness can fail: with CPU's warning at 61 %, the case at 60 % must fail."""
    groups = rule_groups(context("docker"))
    for group_ in groups:
        for rule in group_["rules"]:
            if rule.get("alert") == "ServiceCpuHigh":
                rule["expr"] = rule["expr"].replace(">= 0.6", ">= 0.61")
    at = cases.cpu_series("docker", 60, 20)
    summary = f"{SERVICE}: {THRESHOLDS[0].meaning} is 60% (at or above 60 %)"
    labels = {"service": SERVICE, "severity": "warning", "signal": "cpu"}
    with pytest.raises(AssertionError, match="ServiceCpuHigh"):
        run_promtool(
            tmp_path, groups, [group(at, check("ServiceCpuHigh", 12, expected("ServiceCpuHigh", labels, summary)))]
        )


def two_tools_tests(target: str) -> list[dict[str, Any]]:
    """One service, two tools: `echo` burns its budget, `add` stays within it, and requests of other methods fail
    and are slow. Each alert must fire for `echo` alone, naming it; nothing fires for `add` or for no tool."""
    availability, latency = TOOL_AVAILABILITY, TOOL_LATENCY

    def alert(slo: Slo, suffix: str, severity: str) -> dict[str, Any]:
        factors = PAGE_FACTORS if suffix == "FastBurn" else TICKET_FACTORS
        summary = slo_summary(slo, SERVICE) + factors
        return expected(f"{slo.alert}{suffix}", {**slo_labels(slo), "severity": severity}, summary)

    def traffic(slo: Slo, echo_burn: float, minutes: int) -> list[dict[str, str]]:
        return [
            *slo_series(target, slo, echo_burn, minutes, "echo"),
            *slo_series(target, slo, 0.5, minutes, "add"),
            *cases.other_methods_series(target, minutes),
        ]

    return [
        # echo fails 16x faster than its budget allows: a page for echo, none for add, and no latency alert.
        group(
            traffic(availability, 16, 15),
            check("McpToolAvailabilityFastBurn", 10, alert(availability, "FastBurn", "critical")),
            check("McpToolLatencyFastBurn", 10),
            check("McpToolLatencySlowBurn", 10),
        ),
        # echo is slow (16x the latency budget), not failing: a latency page for echo only.
        group(
            traffic(latency, 16, 15),
            check("McpToolLatencyFastBurn", 10, alert(latency, "FastBurn", "critical")),
            check("McpToolAvailabilityFastBurn", 10),
            check("McpToolAvailabilitySlowBurn", 10),
        ),
        # echo fails 1.5x too fast for an hour: a ticket for echo, no page, nothing for add.
        group(
            traffic(availability, 1.5, 70),
            check("McpToolAvailabilitySlowBurn", 60, alert(availability, "SlowBurn", "warning")),
            check("McpToolAvailabilityFastBurn", 60),
        ),
    ]


@pytest.mark.parametrize("target", TARGETS)
def test_per_tool_alerts_fire_for_the_burning_tool_only_and_name_it(tmp_path: Path, target: str) -> None:
    run_promtool(tmp_path, rule_groups(context(target)), two_tools_tests(target))


@pytest.mark.parametrize(
    ("broken", "original", "replacement"),
    [
        ("one budget per service, not per tool", "sum by (service, gen_ai_tool_name)", "sum by (service)"),
        ("every method counted as a tool call", ', mcp_method_name="tools/call"', ""),
    ],
)
def test_promtool_catches_per_tool_rules_that_lose_the_tool(
    tmp_path: Path, broken: str, original: str, replacement: str
) -> None:
    """The harness can fail: with the tool dropped from the per-tool rules (`broken`), the two-tool cases fail."""
    groups = rule_groups(context("docker"))
    tool_rules = [
        rule
        for group_ in groups
        for rule in group_["rules"]
        if rule.get("labels", {}).get("slo") in {TOOL_AVAILABILITY.name, TOOL_LATENCY.name} and "record" in rule
    ]
    assert tool_rules and all(original in rule["expr"] for rule in tool_rules), broken
    for rule in tool_rules:
        rule["expr"] = rule["expr"].replace(original, replacement)
    with pytest.raises(AssertionError, match="McpTool"):
        run_promtool(tmp_path, groups, two_tools_tests("docker"))


def test_without_a_service_behind_the_bridge_there_are_no_per_tool_rules() -> None:
    """Nothing exports the bridge's histogram then: rules on it would only record nothing."""
    alone = RuleContext(
        target="docker",
        services=SPECS[:1],
        container_prefix=cases.STACK_PREFIX,
        namespace=cases.NAMESPACE,
        backup_max_age_hours=cases.BACKUP_MAX_AGE_HOURS,
        parts=EVERY_PART,
    )
    rules = [rule for group_ in rule_groups(alone) for rule in group_["rules"]]
    assert not [rule for rule in rules if "mcp_server_operation_duration" in rule["expr"]]
    assert not [name for name in alert_names(rule_groups(alone)) if name.startswith("McpTool")]
    assert {"McpToolAvailabilityFastBurn", "McpToolLatencySlowBurn"} <= set(alert_names(rule_groups(context("docker"))))
