"""The pure monitoring renderers: one source of truth for thresholds and SLOs, routing, probes, dashboards."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from components.render.monitoring.alertmanager import Receiver, alertmanager_config
from components.render.monitoring.dashboards import dashboards
from components.render.monitoring.docker_stack import docker_files
from components.render.monitoring.logs import alloy_docker_config
from components.render.monitoring.objectives import SLOS, THRESHOLDS
from components.render.monitoring.parts import MonitoringParts
from components.render.monitoring.prometheus_config import prometheus_config
from components.render.monitoring.rules import RuleContext, alert_names, bucket_bound, rule_groups
from components.render.monitoring.sources import (
    OPERATION_DURATION_BUCKETS,
    REQUEST_SOURCES,
    gateway_latency_buckets,
)
from components.render.monitoring.text import to_yaml
from components.spec import ServiceSpec
from infra.stack_files import PROJECT_DIR
from tests.helpers.tools import require_tool

SPECS = (
    *(
        ServiceSpec.model_validate(
            {"name": name, "image": "example.org/mcp/server:1.0", "transport": "streamable-http", "port": port, **extra}
        )
        for name, port, extra in (
            ("alpha", 8080, {}),
            ("beta", 9000, {"healthPath": "/ready", "metrics": {"port": 9464, "path": "/stats"}}),
        )
    ),
    ServiceSpec.model_validate(
        {"name": "gamma", "build": {"server": "memory"}, "transport": "stdio", "bridge": {}, "port": 8000}
    ),
)


def context(target: str = "docker") -> RuleContext:
    return RuleContext(
        target=target,  # type: ignore[arg-type]
        services=SPECS,
        container_prefix="mcp-dev",
        namespace="mcp-staging",
        backup_max_age_hours=26,
        parts=MonitoringParts(),
    )


def rules_by_name(target: str = "docker") -> dict[str, dict[str, object]]:
    return {rule["alert"]: rule for group in rule_groups(context(target)) for rule in group["rules"] if "alert" in rule}


def test_thresholds_and_slos_are_those_of_the_design_documents() -> None:
    levels = {t.signal: (t.warning, t.critical) for t in THRESHOLDS}
    assert levels == {
        "cpu": (0.60, 0.85),
        "memory": (0.70, 0.90),
        "latency": (0.5, 2.0),
        "errors": (0.01, 0.10),
        "queue": (100, 1000),
    }
    objectives = {slo.name: (slo.objective, slo.latency_seconds) for slo in SLOS}
    assert objectives == {
        "gateway-availability": (0.999, None),
        "gateway-latency": (0.95, 0.2),
        "mcp-availability": (0.995, None),
        "mcp-latency": (0.95, 0.5),
        # Each tool is held to its service's objectives.
        "mcp-tool-availability": (0.995, None),
        "mcp-tool-latency": (0.95, 0.5),
    }


def test_burn_rate_alerts_use_the_workbook_windows_and_factors() -> None:
    rules = rules_by_name()
    fast = rules["McpAvailabilityFastBurn"]["expr"]
    slow = rules["McpAvailabilitySlowBurn"]["expr"]
    budget = 0.005
    assert fast == (
        f'(slo:sli_error:ratio_rate1h{{slo="mcp-availability"}} > {14.4 * budget:.10g} and '
        f'slo:sli_error:ratio_rate5m{{slo="mcp-availability"}} > {14.4 * budget:.10g}) or '
        f'(slo:sli_error:ratio_rate6h{{slo="mcp-availability"}} > {6 * budget:.10g} and '
        f'slo:sli_error:ratio_rate30m{{slo="mcp-availability"}} > {6 * budget:.10g})'
    )
    assert "0.072" in fast and "0.03" in fast
    assert "ratio_rate1d" in slow and "ratio_rate2h" in slow and "ratio_rate3d" in slow and "ratio_rate6h" in slow
    assert "0.0144" in rules["GatewayAvailabilityFastBurn"]["expr"]
    assert rules["McpAvailabilityFastBurn"]["labels"]["severity"] == "critical"
    assert rules["McpAvailabilitySlowBurn"]["labels"]["severity"] == "warning"


def test_every_alert_has_a_severity_a_summary_and_a_runbook_line() -> None:
    for target in ("docker", "kubernetes"):
        for name, rule in rules_by_name(target).items():
            assert rule["labels"]["severity"] in {"critical", "warning", "info"}, name
            assert rule["annotations"]["summary"] and rule["annotations"]["runbook"], name


def test_rules_follow_the_catalog() -> None:
    probe = rules_by_name()["ServiceProbeFailing"]["expr"]
    assert 'service=~"alpha|beta|gamma"' in probe
    docker_cpu = rule_groups(context("docker"))[0]["rules"][0]["expr"]
    assert 'name=~"mcp-dev-(alpha|beta|gamma)(?:-' in docker_cpu
    kubernetes_cpu = rule_groups(context("kubernetes"))[0]["rules"][0]["expr"]
    assert 'container=~"(alpha|beta|gamma)", namespace="mcp-staging"' in kubernetes_cpu


@pytest.mark.parametrize(
    ("target", "buckets"),
    [
        ("docker", [0.05, 0.1, 0.2, 0.3, 0.5, 1.0, 2.0, 5.0]),
        ("kubernetes", [50.0, 100.0, 200.0, 300.0, 500.0, 1000.0, 2000.0, 5000.0]),
    ],
)
def test_gateway_buckets_are_in_the_gateways_unit_and_hold_every_latency_slo(target: str, buckets: list[float]) -> None:
    assert gateway_latency_buckets(target) == buckets  # type: ignore[arg-type]
    source = REQUEST_SOURCES[target]  # type: ignore[index]
    latency_bounds = [slo.latency_seconds for slo in SLOS if slo.latency_seconds is not None and slo.scope != "tools"]
    assert latency_bounds and all(source.in_duration_unit(bound) in buckets for bound in latency_bounds)


def test_each_tool_latency_slo_counts_at_a_bound_of_the_bridges_histogram() -> None:
    bounds = [slo.latency_seconds for slo in SLOS if slo.scope == "tools" and slo.latency_seconds is not None]
    assert bounds == [0.5]
    assert all(bound in OPERATION_DURATION_BUCKETS for bound in bounds)
    latency = rules_by_name()["McpToolLatencyFastBurn"]
    assert latency["labels"] == {"severity": "critical", "signal": "mcp-tool-latency", "slo": "mcp-tool-latency"}
    recorded = {
        rule["expr"]
        for group in rule_groups(context())
        for rule in group["rules"]
        if rule.get("labels", {}).get("slo") == "mcp-tool-latency" and rule.get("record", "").endswith("rate5m")
    }
    # Calls of tools the server has that the client did not get wrong: unknown tools and invalid params burn nothing.
    calls = (
        'service=~"gamma", mcp_method_name="tools/call", gen_ai_tool_name!="_OTHER", '
        'error_type!~"-32700|-32600|-32601|-32602"'
    )
    assert recorded == {
        f"1 - (sum by (service, gen_ai_tool_name) "
        f'(rate(mcp_server_operation_duration_bucket{{{calls}, le="0.5"}}[5m])) '
        f"/ sum by (service, gen_ai_tool_name) (rate(mcp_server_operation_duration_count{{{calls}}}[5m])))"
    }


@pytest.mark.parametrize(
    ("value", "stored"), [(0.2, "0.2"), (0.5, "0.5"), (200.0, "200.0"), (5000.0, "5000.0"), (1e21, "1e+21")]
)
def test_bucket_bounds_are_written_as_prometheus_3_stores_them(value: float, stored: str) -> None:
    assert bucket_bound(value) == stored


def test_docker_scrapes_health_probes_and_declared_metrics_from_the_catalog() -> None:
    config = prometheus_config(SPECS, "dev", ["/rules/*.yml"], MonitoringParts())
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    probes = jobs["health-probes"]["static_configs"]
    assert probes == [
        {"targets": ["http://alpha:8080/healthz"], "labels": {"service": "alpha", "probe": "health"}},
        {"targets": ["http://beta:9000/ready"], "labels": {"service": "beta", "probe": "health"}},
        {"targets": ["http://gamma:8000/healthz"], "labels": {"service": "gamma", "probe": "health"}},
    ]
    assert jobs["mcp-services"]["static_configs"] == [
        {"targets": ["beta:9464"], "labels": {"service": "beta", "metrics_path": "/stats"}},
        # Behind the bridge: its metrics on the service's own port.
        {"targets": ["gamma:8000"], "labels": {"service": "gamma", "metrics_path": "/metrics"}},
    ]
    assert "jaeger" not in jobs
    assert config["global"]["external_labels"] == {"stack": "dev"}


def test_routing_pages_on_critical_tickets_on_warning_and_silences_info() -> None:
    config = alertmanager_config({"page": Receiver("pagerduty")}, "/secrets")
    routes = {route["matchers"][0]: route["receiver"] for route in config["route"]["routes"]}
    assert routes == {'severity="critical"': "page", 'severity="warning"': "ticket", 'severity="info"': "silent"}
    # A tool's page silences that tool's ticket, not another tool's.
    assert config["inhibit_rules"][0]["equal"] == ["service", "gen_ai_tool_name", "signal"]
    receivers = {receiver["name"]: receiver for receiver in config["receivers"]}
    assert receivers["page"]["pagerduty_configs"] == [{"routing_key_file": "/secrets/page", "send_resolved": True}]
    assert receivers["ticket"] == {"name": "ticket"} and receivers["silent"] == {"name": "silent"}
    assert config["route"]["receiver"] == "silent"


def test_generated_files_are_deterministic_with_sorted_keys() -> None:
    def render() -> dict[str, dict[str, str]]:
        return docker_files(
            SPECS, "dev", "mcp-dev", "15d", 26, MonitoringParts(tracing=True), {"page": Receiver("slack", "#ops")}
        ).by_role

    first, second = render(), render()
    assert first == second
    prometheus = first["prometheus"]["prometheus.yml"]
    top_level = [line.split(":")[0] for line in prometheus.splitlines() if line and not line.startswith((" ", "-"))]
    assert top_level == sorted(top_level)


def test_dashboards_cover_the_platform_and_each_service() -> None:
    boards = dashboards("docker", SPECS, MonitoringParts())
    assert sorted(boards) == [
        "mcp-overview.json",
        "mcp-service-alpha.json",
        "mcp-service-beta.json",
        "mcp-service-gamma.json",
    ]
    titles = [panel["title"] for panel in boards["mcp-service-alpha.json"]["panels"]]
    for wanted in ("Requests per second", "Errors", "p95 latency", "Saturation", "Health probe"):
        assert any(title.startswith(wanted) for title in titles), wanted
    assert not [title for title in titles if "Tool" in title or "method" in title]
    uids = [board["uid"] for board in boards.values()]
    assert len(set(uids)) == len(uids)


def test_a_service_behind_the_bridge_has_per_tool_and_per_method_panels() -> None:
    board = dashboards("kubernetes", SPECS, MonitoringParts())["mcp-service-gamma.json"]
    queries = {panel["title"]: {t["legendFormat"]: t["expr"] for t in panel["targets"]} for panel in board["panels"]}
    calls = (
        'service=~"gamma", mcp_method_name="tools/call", gen_ai_tool_name!="_OTHER", '
        'error_type!~"-32700|-32600|-32601|-32602"'
    )
    assert queries["Tool latency (p50, p95, p99)"] == {
        f"{{{{gen_ai_tool_name}}}} p{name}": f"histogram_quantile({quantile}, sum by (gen_ai_tool_name, le) "
        f"(rate(mcp_server_operation_duration_bucket{{{calls}}}[5m])))"
        for name, quantile in (("50", "0.5"), ("95", "0.95"), ("99", "0.99"))
    }
    assert queries["Tool calls per second"] == {
        "{{gen_ai_tool_name}}": f"sum by (gen_ai_tool_name) (rate(mcp_server_operation_duration_count{{{calls}}}[5m]))"
    }
    assert queries["Tool error share (5m)"] == {
        "{{gen_ai_tool_name}}": 'slo:sli_error:ratio_rate5m{slo="mcp-tool-availability", service="gamma"}'
    }
    methods = 'sum by (mcp_method_name) (rate(mcp_server_operation_duration_count{service="gamma"}[5m]))'
    assert queries["MCP requests per second by method"] == {"{{mcp_method_name}}": methods}
    # The overview's 5xx panel reads the gateway's availability SLIs, not the tools' errors.
    overview = dashboards("kubernetes", SPECS, MonitoringParts())["mcp-overview.json"]
    (errors,) = [panel for panel in overview["panels"] if panel["title"] == "5xx share (5m)"]
    assert errors["targets"][0]["expr"] == 'slo:sli_error:ratio_rate5m{slo=~"gateway-availability|mcp-availability"}'


@pytest.mark.parametrize("target", ["docker", "kubernetes"])
def test_every_dashboard_query_is_valid_promql(tmp_path: Path, target: str) -> None:
    """promtool parses each panel query as the expression of a recording rule."""
    queries = [
        target_["expr"]
        for board in dashboards(target, SPECS, MonitoringParts()).values()  # type: ignore[arg-type]
        for panel in board["panels"]
        for target_ in panel["targets"]
    ]
    rules = [{"record": f"dashboard:query:{index}", "expr": query} for index, query in enumerate(queries)]
    (tmp_path / "queries.yml").write_text(to_yaml({"groups": [{"name": "dashboards", "rules": rules}]}))
    result = subprocess.run(
        [require_tool("promtool"), "check", "rules", "queries.yml"], cwd=tmp_path, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(queries)} rules found" in result.stdout


def test_readme_has_a_runbook_line_for_every_alert() -> None:
    readme = (PROJECT_DIR / "README.md").read_text()
    first_cells = re.findall(r"^\| (`\w+`(?: / `\w+`)*) \|", readme, re.MULTILINE)
    rows = {name for cell in first_cells for name in re.findall(r"`(\w+)`", cell)}
    for target in ("docker", "kubernetes"):
        missing = set(alert_names(rule_groups(context(target)))) - rows
        assert not missing, f"README alert table lacks {sorted(missing)}"


@pytest.mark.parametrize(
    ("container", "service"),
    [
        ("/mcp-dev-memory", "memory"),
        ("/mcp-dev-everything-0af438b", "everything"),
        ("/mcp-dev-sequential-thinking-15478c6", "sequential-thinking"),
        ("/mcp-dev-gateway", "gateway"),
    ],
)
def test_alloy_labels_logs_with_the_service_whatever_the_container_name(container: str, service: str) -> None:
    """Stateless services' containers carry a generated suffix; their logs are still the service's. Alloy's
    relabel regexes are anchored RE2, which Python's `re.fullmatch` reads the same way for this pattern."""
    config = alloy_docker_config("http://loki:3100", "mcp-dev")
    (regex,) = re.findall(r'source_labels = \["__meta_docker_container_name"\]\s+regex\s+= "([^"]+)"', config)
    match = re.fullmatch(regex, container)
    assert match is not None and match.group(1) == service
