"""`monitoring.dashboards` and `monitoring.logs`: what a part that is off takes with it, and what stays consistent.

Docker's container CPU and memory come from cAdvisor inside Alloy, so turning logs off there must also take out
every rule and panel on those metrics; on Kubernetes they come from the kubelet and stay.
"""

from __future__ import annotations

import itertools
import json
import re
from typing import Any

import pytest
import yaml

from components.render.monitoring.dashboards import dashboards
from components.render.monitoring.docker_stack import docker_files, roles
from components.render.monitoring.parts import MonitoringParts
from components.render.monitoring.rules import CPU_RATIO, MEMORY_RATIO, RuleContext, alert_names, rule_groups
from components.render.monitoring.sources import saturation_source
from components.spec import ServiceSpec
from infra.settings import SettingsError, load_settings
from infra.stack_files import read_stack_config
from tests.helpers.stacks import REQUIRED_SECRET_KEYS, REQUIRED_SECRETS, evaluate_stack

SPECS = (
    ServiceSpec.model_validate(
        {"name": "alpha", "image": "example.org/mcp/server:1.0", "transport": "streamable-http", "port": 8080}
    ),
    # Behind the bridge: its per-tool rules and panels are checked with the rest.
    ServiceSpec.model_validate(
        {"name": "beta", "build": {"server": "memory"}, "transport": "stdio", "bridge": {}, "port": 8080}
    ),
)
EVERY_PARTS = [
    MonitoringParts(dashboards=dashboards_, logs=logs, tracing=tracing)
    for dashboards_, logs, tracing in itertools.product((True, False), repeat=3)
]
RECORDED_NAME = re.compile(r"\b[a-zA-Z_]+:[a-zA-Z0-9_:]+")
"""A recording rule's `level:metric:operations` name; raw series names carry no colon."""
CONTAINER_ALERTS = {"ServiceCpuHigh", "ServiceCpuCritical", "ServiceMemoryHigh", "ServiceMemoryCritical"}


def context(target: str, parts: MonitoringParts) -> RuleContext:
    return RuleContext(
        target=target,  # type: ignore[arg-type]
        services=SPECS,
        container_prefix="mcp-dev",
        namespace="mcp-staging",
        backup_max_age_hours=26,
        parts=parts,
    )


def queries(target: str, parts: MonitoringParts) -> list[str]:
    """Every expression Prometheus evaluates or Grafana sends: rules, alerts and dashboard panels."""
    groups = rule_groups(context(target, parts))
    exprs = [rule["expr"] for group in groups for rule in group["rules"]]
    boards = dashboards(target, SPECS, parts)  # type: ignore[arg-type]
    return exprs + [
        query["expr"] for board in boards.values() for panel in board["panels"] for query in panel["targets"]
    ]


def container_metric_names(target: str) -> set[str]:
    """The raw series the target's saturation source reads (cAdvisor usage and the limits)."""
    source = saturation_source(target, "mcp-dev", "mcp-staging")  # type: ignore[arg-type]
    text = " ".join((source.cpu_usage, source.memory_usage, source.cpu_limit, source.memory_limit))
    return set(re.findall(r"\b(?:container|kube)_[a-z_]+", text))


@pytest.mark.parametrize("target", ["docker", "kubernetes"])
@pytest.mark.parametrize("parts", EVERY_PARTS, ids=str)
def test_every_recorded_series_an_alert_or_panel_reads_is_recorded(target: str, parts: MonitoringParts) -> None:
    groups = rule_groups(context(target, parts))
    recorded = {rule["record"] for group in groups for rule in group["rules"] if "record" in rule}
    read = {name for expr in queries(target, parts) for name in RECORDED_NAME.findall(expr)}
    assert read, "the pattern finds the recorded names the alerts read"
    assert read <= recorded, f"read but never recorded: {sorted(read - recorded)}"


def test_without_logs_nothing_on_docker_reads_a_container_metric() -> None:
    names = container_metric_names("docker")
    assert names == {
        "container_cpu_usage_seconds_total",
        "container_memory_working_set_bytes",
        "container_spec_cpu_quota",
        "container_spec_cpu_period",
        "container_spec_memory_limit_bytes",
    }
    on = queries("docker", MonitoringParts())
    assert any(name in expr for expr in on for name in names), "with logs, the saturation rules read them"
    off = queries("docker", MonitoringParts(logs=False))
    assert not [
        expr
        for expr in off
        if any(name in expr or ratio in expr for name in names for ratio in (CPU_RATIO, MEMORY_RATIO))
    ]
    assert not CONTAINER_ALERTS & set(alert_names(rule_groups(context("docker", MonitoringParts(logs=False)))))


def test_kubernetes_keeps_the_container_alerts_without_logs() -> None:
    # The kubelet's cAdvisor and kube-state-metrics export them there, whatever runs Loki and Alloy.
    groups = rule_groups(context("kubernetes", MonitoringParts(dashboards=False, logs=False)))
    assert set(alert_names(groups)) >= CONTAINER_ALERTS


@pytest.mark.parametrize("parts", EVERY_PARTS, ids=str)
def test_docker_renders_the_files_of_exactly_the_roles_that_run(parts: MonitoringParts) -> None:
    files = docker_files(SPECS, "dev", "mcp-dev", "15d", 26, parts, {})
    names = [role.name for role in roles(parts, "15d")]
    assert list(files.by_role) == names
    assert ("grafana" in names) is parts.dashboards
    assert ("loki" in names) is ("alloy" in names) is parts.logs
    assert ("jaeger" in names) is parts.tracing
    assert {"prometheus", "alertmanager", "blackbox"} <= set(names)


def test_docker_prometheus_scrapes_no_part_that_is_off() -> None:
    def targets(parts: MonitoringParts) -> dict[str, list[str]]:
        config = yaml.safe_load(
            docker_files(SPECS, "dev", "mcp-dev", "15d", 26, parts, {}).by_role["prometheus"]["prometheus.yml"]
        )
        return {
            job["job_name"]: [target for static in job["static_configs"] for target in static["targets"]]
            for job in config["scrape_configs"]
        }

    every = targets(MonitoringParts())
    assert {"grafana", "loki", "alloy", "cadvisor"} <= set(every)
    assert every["cadvisor"] == ["alloy:12345"]
    without_logs = targets(MonitoringParts(logs=False))
    assert not {"loki", "alloy", "cadvisor"} & set(without_logs)
    assert not [t for ts in without_logs.values() for t in ts if t.startswith(("alloy:", "loki:"))]
    assert "grafana" in without_logs
    without_dashboards = targets(MonitoringParts(dashboards=False))
    assert "grafana" not in without_dashboards and {"loki", "alloy", "cadvisor"} <= set(without_dashboards)


def test_docker_grafana_without_logs_has_no_loki_datasource_and_no_container_panels() -> None:
    grafana = docker_files(SPECS, "dev", "mcp-dev", "15d", 26, MonitoringParts(logs=False), {}).by_role["grafana"]
    sources = yaml.safe_load(grafana["provisioning/datasources/mcp-suite.yml"])["datasources"]
    assert [source["name"] for source in sources] == ["Prometheus", "Alertmanager"]
    overview = json.loads(grafana["dashboards/mcp-overview.json"])
    titles = [panel["title"] for panel in overview["panels"]]
    assert "CPU of limit" not in titles and "Memory of limit" not in titles
    # No hole where the panels were: two per row, rows in order.
    assert [(panel["gridPos"]["x"], panel["gridPos"]["y"]) for panel in overview["panels"]] == [
        (12 * (index % 2), 8 * (index // 2)) for index in range(len(titles))
    ]
    service = json.loads(grafana["dashboards/mcp-service-alpha.json"])
    queue = next(panel for panel in service["panels"] if panel["title"] == "Queue depth")
    assert [query["legendFormat"] for query in queue["targets"]] == ["queue"]


# Settings: the Grafana password is asked for exactly when Grafana runs.


def dev_config(monitoring: dict[str, Any], monitoring_secrets: dict[str, str] | None) -> dict[str, str]:
    config = read_stack_config("dev").values | {
        "mcp-suite:monitoring": json.dumps(monitoring),
        "mcp-suite:backupSecrets": json.dumps(REQUIRED_SECRETS["backupSecrets"]),
    }
    if monitoring_secrets is not None:
        config["mcp-suite:monitoringSecrets"] = json.dumps(monitoring_secrets)
    return config


def load_dev(monitoring: dict[str, Any], monitoring_secrets: dict[str, str] | None = None) -> Any:
    secret_keys = read_stack_config("dev").secret_keys | REQUIRED_SECRET_KEYS
    return load_settings("dev", dev_config(monitoring, monitoring_secrets), secret_keys)


def test_the_grafana_password_is_required_with_dashboards() -> None:
    with pytest.raises(SettingsError) as caught:
        load_dev({})
    assert [problem.path for problem in caught.value.problems] == ["monitoringSecrets.grafanaAdminPassword"]


def test_the_grafana_password_is_not_required_without_dashboards() -> None:
    settings = load_dev({"dashboards": False})
    assert settings.monitoring.dashboards is False
    assert settings.monitoring.logs is True
    # A receiver's credential is still required: only Grafana's password went with Grafana.
    with pytest.raises(SettingsError) as caught:
        load_dev({"dashboards": False, "receivers": {"page": {"kind": "pagerduty"}}})
    assert [problem.path for problem in caught.value.problems] == ["monitoringSecrets.page"]


def test_a_grafana_password_set_without_dashboards_is_accepted_and_not_used() -> None:
    # As with the credential of a receiver that is not configured: turning Grafana off and on again keeps it.
    settings = load_dev({"dashboards": False}, {"grafanaAdminPassword": "kept-for-later"})
    assert settings.monitoring_secret("grafanaAdminPassword") == "kept-for-later"
    evaluation = evaluate_stack(
        "dev",
        overrides={
            "monitoring": {"dashboards": False},
            **REQUIRED_SECRETS,
            "monitoringSecrets": {"grafanaAdminPassword": "kept-for-later"},
        },
        secret_keys=REQUIRED_SECRET_KEYS,
        placeholder_secrets=False,
    )
    assert not [entry for entry in evaluation.registrations if "grafana" in entry.name]


@pytest.mark.parametrize("key", ["dashboards", "logs"])
def test_a_part_switch_must_be_a_boolean(key: str) -> None:
    with pytest.raises(SettingsError) as caught:
        load_dev({key: "no"}, {"grafanaAdminPassword": "x"})
    assert [f"{p.path}: {p.message}" for p in caught.value.problems] == [
        f"monitoring.{key}: Input should be a valid boolean (got 'no')"
    ]
