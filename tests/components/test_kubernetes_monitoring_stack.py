"""Kubernetes MonitoringStack under mocks: pinned Helm releases, selectors open, a Probe per service, rules."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pytest

from components.render.monitoring.kubernetes_objects import (
    ALLOY_CHART_VERSION,
    KPS_CHART_VERSION,
    LOKI_CHART_VERSION,
)
from infra.mock_runtime import REDACTED, Evaluation
from infra.stack_files import read_stack_config
from tests.helpers.stacks import REQUIRED_SECRET_KEYS, REQUIRED_SECRETS, evaluate_stack

CATALOG = ("everything", "filesystem", "memory", "sequential-thinking")


def release(evaluation: Evaluation, role: str) -> dict[str, Any]:
    return evaluation.named(f"monitoring-{role}", "kubernetes:helm.sh/v3:Release").inputs


def test_helm_releases_are_pinned_to_published_charts() -> None:
    evaluation = evaluate_stack("staging")
    pins = {
        role: (release(evaluation, role)["chart"], release(evaluation, role)["version"])
        for role in ("kube-prometheus-stack", "loki", "alloy")
    }
    assert pins == {
        "kube-prometheus-stack": ("kube-prometheus-stack", KPS_CHART_VERSION),
        "loki": ("loki", LOKI_CHART_VERSION),
        "alloy": ("alloy", ALLOY_CHART_VERSION),
    }
    assert (KPS_CHART_VERSION, LOKI_CHART_VERSION, ALLOY_CHART_VERSION) == ("87.21.0", "6.55.0", "1.11.0")
    assert all(release(evaluation, role)["namespace"] == "monitoring" for role in pins)


def test_prometheus_selects_objects_of_every_release() -> None:
    spec = release(evaluate_stack("staging"), "kube-prometheus-stack")["values"]["prometheus"]["prometheusSpec"]
    for key in (
        "ruleSelectorNilUsesHelmValues",
        "serviceMonitorSelectorNilUsesHelmValues",
        "probeSelectorNilUsesHelmValues",
    ):
        assert spec[key] is False, key
    assert spec["retention"] == "15d"


def test_loki_is_a_single_binary_on_the_filesystem() -> None:
    values = release(evaluate_stack("staging"), "loki")["values"]
    assert values["deploymentMode"] == "SingleBinary"
    assert values["singleBinary"]["replicas"] == 1
    assert values["loki"]["commonConfig"]["replication_factor"] == 1
    assert values["loki"]["schemaConfig"]["configs"][0]["schema"] == "v13"
    assert values["loki"]["schemaConfig"]["configs"][0]["store"] == "tsdb"


def test_monitoring_namespace_is_privileged_for_node_exporter_and_warns_at_restricted() -> None:
    labels = evaluate_stack("staging").named("monitoring-namespace").inputs["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == "privileged"
    assert labels["pod-security.kubernetes.io/warn"] == "restricted"
    assert labels["pod-security.kubernetes.io/audit"] == "restricted"
    # The services' own namespace is not relaxed.
    suite = evaluate_stack("staging").named("namespace").inputs["metadata"]["labels"]
    assert suite["pod-security.kubernetes.io/enforce"] == "restricted"


def test_every_service_gets_a_health_probe_through_the_blackbox_exporter() -> None:
    probes = evaluate_stack("staging").of_type("kubernetes:monitoring.coreos.com/v1:Probe")
    by_service = {p.inputs["spec"]["targets"]["staticConfig"]["labels"]["service"]: p.inputs for p in probes}
    assert sorted(by_service) == list(CATALOG)
    memory = by_service["memory"]
    assert memory["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    assert memory["spec"]["module"] == "http_2xx"
    assert memory["spec"]["prober"] == {"url": "blackbox-exporter.monitoring.svc:9115"}
    assert memory["spec"]["targets"]["staticConfig"]["static"] == ["http://memory.mcp-staging.svc:8000/healthz"]


def test_every_service_behind_the_bridge_is_scraped_on_its_own_port() -> None:
    """The bridge serves the tools' metrics at /metrics on the service's port (the Service's `http` port): a
    ServiceMonitor per service, selecting its pods' Service, and no extra Service port."""
    evaluation = evaluate_stack("staging")
    monitors = {
        monitor.inputs["metadata"]["name"]: monitor.inputs
        for monitor in evaluation.of_type("kubernetes:monitoring.coreos.com/v1:ServiceMonitor")
    }
    assert sorted(monitors) == list(CATALOG)
    memory = monitors["memory"]
    assert memory["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    assert memory["spec"] == {
        "selector": {"matchLabels": {"app.kubernetes.io/name": "memory", "app.kubernetes.io/part-of": "mcp-suite"}},
        "namespaceSelector": {"matchNames": ["mcp-staging"]},
        "endpoints": [{"port": "http", "path": "/metrics", "interval": "30s"}],
    }
    ports = evaluation.named("memory-service").inputs["spec"]["ports"]
    assert [(port["name"], port["port"]) for port in ports] == [("http", 8000)]


def test_a_server_with_metrics_on_another_port_gets_a_metrics_service_port() -> None:
    catalog = json.loads(read_stack_config("staging").values["mcp-suite:services"])
    catalog["everything"] = {
        "image": "example.org/mcp/everything:1.0",
        "transport": "streamable-http",
        "port": 8000,
        "sessions": "stateless",
        "metrics": {"port": 9464},
    }
    evaluation = evaluate_stack("staging", overrides={"services": catalog})
    monitors = {
        monitor.inputs["metadata"]["name"]: monitor.inputs["spec"]
        for monitor in evaluation.of_type("kubernetes:monitoring.coreos.com/v1:ServiceMonitor")
    }
    assert monitors["everything"]["endpoints"] == [{"port": "metrics", "path": "/metrics", "interval": "30s"}]
    service = evaluation.named("everything-service").inputs["spec"]
    assert {
        "name": "metrics",
        "port": 9464,
        "targetPort": "metrics",
        "protocol": "TCP",
        "appProtocol": "http",
    } in service["ports"]


def test_the_gateways_proxies_are_scraped_for_the_request_slos() -> None:
    (monitor,) = evaluate_stack("staging").of_type("kubernetes:monitoring.coreos.com/v1:PodMonitor")
    assert monitor.inputs["spec"] == {
        # Exactly the suite's Gateway's proxies, where Envoy Gateway runs them, on Envoy's stats endpoint.
        "selector": {
            "matchLabels": {
                "gateway.envoyproxy.io/owning-gateway-name": "mcp",
                "gateway.envoyproxy.io/owning-gateway-namespace": "mcp-staging",
            }
        },
        "namespaceSelector": {"matchNames": ["envoy-gateway-system"]},
        "podMetricsEndpoints": [{"port": "metrics", "path": "/stats/prometheus", "interval": "30s"}],
    }


def test_custom_resources_wait_for_the_operator_crds() -> None:
    evaluation = evaluate_stack("staging")
    for entry in evaluation.registrations:
        if entry.type.startswith("kubernetes:monitoring.coreos.com/"):
            assert "monitoring-kube-prometheus-stack" in entry.options["dependsOn"], entry.name


def test_rules_live_in_one_prometheus_rule_labelled_for_the_release() -> None:
    (rule,) = evaluate_stack("prod").of_type("kubernetes:monitoring.coreos.com/v1:PrometheusRule")
    assert rule.inputs["metadata"]["namespace"] == "mcp-prod"
    groups = [group["name"] for group in rule.inputs["spec"]["groups"]]
    assert groups == [
        "mcp-suite.recording",
        "mcp-suite.slo-recording",
        "mcp-suite.thresholds",
        "mcp-suite.slo-alerts",
        "mcp-suite.health",
    ]


def test_grafana_password_and_receivers_are_kubernetes_secrets() -> None:
    evaluation = evaluate_stack(
        "staging",
        overrides={
            "monitoring": {"receivers": {"ticket": {"kind": "slack", "channel": "#mcp"}}},
            **REQUIRED_SECRETS,
            "monitoringSecrets": {"grafanaAdminPassword": "pw-321", "ticket": "https://hooks.example/abc"},
        },
        secret_keys=REQUIRED_SECRET_KEYS,
        placeholder_secrets=False,
    )
    admin = evaluation.named("monitoring-grafana-admin").inputs
    receivers = evaluation.named("monitoring-alertmanager-receivers").inputs
    assert admin["stringData"] == receivers["stringData"] == REDACTED
    values = release(evaluation, "kube-prometheus-stack")["values"]
    assert values["grafana"]["admin"]["existingSecret"] == "grafana-admin"
    assert values["alertmanager"]["alertmanagerSpec"]["secrets"] == ["alertmanager-receivers"]
    ticket = next(r for r in values["alertmanager"]["config"]["receivers"] if r["name"] == "ticket")
    assert ticket["slack_configs"][0]["api_url_file"] == "/etc/alertmanager/secrets/alertmanager-receivers/ticket"
    assert "pw-321" not in repr(evaluation.registrations)
    assert "hooks.example" not in repr(evaluation.registrations)


@pytest.mark.parametrize(("stack", "tracing"), [("staging", True), ("prod", True)])
def test_tracing_runs_jaeger_v2_when_set(stack: str, tracing: bool) -> None:
    evaluation = evaluate_stack(stack)
    deployments = {
        e.inputs["metadata"]["name"]
        for e in evaluation.of_type("kubernetes:apps/v1:Deployment")
        if e.parent == "monitoring"
    }
    assert ("jaeger" in deployments) is tracing
    assert "blackbox-exporter" in deployments
    jaeger = evaluation.named("monitoring-jaeger").inputs["spec"]["template"]["spec"]["containers"][0]
    assert jaeger["image"] == "docker.io/jaegertracing/jaeger:2.21.0"
    assert jaeger["securityContext"]["readOnlyRootFilesystem"] is True


def evaluate_with_monitoring_output(
    monkeypatch: pytest.MonkeyPatch, monitoring: dict[str, object], **kwargs: Any
) -> tuple[Evaluation, object]:
    exports: dict[str, object] = {}

    def record(name: str, value: object) -> None:
        pulumi.Output.from_input(value).apply(lambda resolved: exports.__setitem__(name, resolved))

    monkeypatch.setattr(pulumi, "export", record)
    evaluation = evaluate_stack(
        "staging", overrides={"monitoring": monitoring, **kwargs.pop("overrides", {})}, **kwargs
    )
    return evaluation, exports["monitoring"]


def monitoring_children(evaluation: Evaluation) -> dict[str, str]:
    return {entry.name: entry.type for entry in evaluation.children_of("monitoring")}


def test_grafana_runs_with_its_secret_dashboards_and_datasources_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    evaluation, output = evaluate_with_monitoring_output(monkeypatch, {"tracing": True})
    grafana = release(evaluation, "kube-prometheus-stack")["values"]["grafana"]
    assert grafana["enabled"] is True
    assert [source["name"] for source in grafana["additionalDataSources"]] == ["Loki", "Jaeger"]
    assert "monitoring-grafana-admin" in monitoring_children(evaluation)
    assert "monitoring-grafana-admin" in evaluation.named("monitoring-kube-prometheus-stack").options["dependsOn"]
    boards = [
        e for e in evaluation.of_type("kubernetes:core/v1:ConfigMap") if e.name.startswith("monitoring-dashboard-")
    ]
    assert len(boards) == 1 + len(CATALOG)
    assert output == {
        "prometheus": "svc/kube-prometheus-stack-prometheus -n monitoring",
        "grafana": "svc/kube-prometheus-stack-grafana -n monitoring",
    }


def test_without_dashboards_the_charts_grafana_is_off_with_its_secret_and_dashboards(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    evaluation, output = evaluate_with_monitoring_output(
        monkeypatch,
        {"tracing": True, "dashboards": False},
        # Without placeholders the edge would need its built worker bundle; the edge is not what this is about.
        overrides={**REQUIRED_SECRETS, "monitoringSecrets": None, "edge": {"enabled": False}},
        secret_keys=REQUIRED_SECRET_KEYS,
        placeholder_secrets=False,
    )
    # No password was set, and none was asked for.
    assert release(evaluation, "kube-prometheus-stack")["values"]["grafana"] == {"enabled": False}
    children = monitoring_children(evaluation)
    assert "monitoring-grafana-admin" not in children
    assert not [name for name in children if name.startswith("monitoring-dashboard-")]
    assert output == {"prometheus": "svc/kube-prometheus-stack-prometheus -n monitoring"}
    # Logs and tracing stay.
    assert {"monitoring-loki", "monitoring-alloy", "monitoring-jaeger"} <= set(children)


def test_without_logs_no_loki_or_alloy_release_and_no_loki_datasource() -> None:
    evaluation = evaluate_stack("staging", overrides={"monitoring": {"tracing": True, "logs": False}})
    releases = {
        entry.inputs["name"]
        for entry in evaluation.of_type("kubernetes:helm.sh/v3:Release")
        if entry.parent == "monitoring"
    }
    assert releases == {"kube-prometheus-stack"}
    grafana = release(evaluation, "kube-prometheus-stack")["values"]["grafana"]
    assert [source["name"] for source in grafana["additionalDataSources"]] == ["Jaeger"]
    # The kubelet, not Alloy, exports container CPU and memory here: their alerts and panels stay.
    (rule,) = evaluation.of_type("kubernetes:monitoring.coreos.com/v1:PrometheusRule")
    alerts = {r["alert"] for group in rule.inputs["spec"]["groups"] for r in group["rules"] if "alert" in r}
    assert {"ServiceCpuHigh", "ServiceCpuCritical", "ServiceMemoryHigh", "ServiceMemoryCritical"} <= alerts
    overview = evaluation.named("monitoring-dashboard-mcp-overview").inputs["data"]["mcp-overview.json"]
    assert "CPU of limit" in overview
