"""Where the bridge's metrics are scraped from: the spec gives every service behind the bridge its `metrics`
endpoint (the service's port, /metrics), and each target's scrape and network policy follow from that one value."""

from __future__ import annotations

import re
from typing import Any

import pytest
from pydantic import ValidationError

from components.render.monitoring.kubernetes_objects import service_monitor_spec
from components.render.monitoring.parts import MonitoringParts
from components.render.monitoring.prometheus_config import prometheus_config
from components.render.monitoring.sources import OPERATION_DURATION_BUCKETS, OTHER_TOOL
from components.render.network_policy import ClusterPeer, PolicyPeers, service_policy_spec
from components.spec import MetricsEndpoint, ServiceSpec
from infra.stack_files import PROJECT_DIR

BRIDGED: dict[str, Any] = {"name": "memory", "build": {"server": "memory"}, "transport": "stdio", "bridge": {}}
PEERS = PolicyPeers(
    gateway=ClusterPeer("envoy-gateway-system", {"app.kubernetes.io/name": "envoy"}),
    prometheus=ClusterPeer("monitoring", {"app.kubernetes.io/name": "prometheus"}),
    blackbox_exporter=ClusterPeer("monitoring", {"app.kubernetes.io/name": "prometheus-blackbox-exporter"}),
    dns=ClusterPeer("kube-system", {"k8s-app": "kube-dns"}),
)


@pytest.mark.parametrize("port", [8000, 3001])
def test_a_service_behind_the_bridge_exposes_metrics_on_its_own_port(port: int) -> None:
    spec = ServiceSpec.model_validate({**BRIDGED, "port": port})
    assert spec.metrics == MetricsEndpoint(port=port, path="/metrics")
    # Declaring the same endpoint is no conflict.
    assert ServiceSpec.model_validate({**BRIDGED, "port": port, "metrics": {"port": port}}) == spec


def test_a_server_not_behind_the_bridge_has_no_metrics_unless_it_declares_them() -> None:
    plain = {"name": "plain", "image": "example.org/mcp/plain:1.0", "transport": "streamable-http", "port": 8080}
    assert ServiceSpec.model_validate(plain).metrics is None
    declared = ServiceSpec.model_validate({**plain, "metrics": {"port": 9464, "path": "/stats"}})
    assert declared.metrics == MetricsEndpoint(port=9464, path="/stats")


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"metrics": {"port": 9464}}, "scraped where the bridge serves its metrics (port 8000, path /metrics)"),
        ({"metrics": {"port": 8000, "path": "/stats"}}, "remove `metrics`"),
        ({"mcpPath": "/metrics"}, "the bridge serves its metrics at /metrics; choose other MCP and health paths"),
        ({"healthPath": "/metrics"}, "the bridge serves its metrics at /metrics; choose other MCP and health paths"),
    ],
)
def test_a_service_behind_the_bridge_cannot_move_its_metrics(extra: dict[str, Any], message: str) -> None:
    """The server behind the bridge speaks stdio, so the bridge's endpoint is the only one it has."""
    with pytest.raises(ValidationError, match=re.escape(message)):
        ServiceSpec.model_validate({**BRIDGED, "port": 8000, **extra})


def test_both_targets_scrape_the_bridge_labelled_with_the_service() -> None:
    spec = ServiceSpec.model_validate({**BRIDGED, "port": 8000})
    jobs = {job["job_name"]: job for job in prometheus_config((spec,), "dev", [], MonitoringParts())["scrape_configs"]}
    assert jobs["mcp-services"]["static_configs"] == [
        {"targets": ["memory:8000"], "labels": {"service": "memory", "metrics_path": "/metrics"}}
    ]
    # The Prometheus Operator labels a ServiceMonitor's targets `service` with the Kubernetes Service's name, which
    # is the catalog name.
    monitor = service_monitor_spec(spec, "mcp-staging")
    assert monitor is not None
    assert monitor["endpoints"] == [{"port": "http", "path": "/metrics", "interval": "30s"}]


def prometheus_ports(spec: ServiceSpec) -> list[list[Any]]:
    """The ports of the service's NetworkPolicy rules that admit Prometheus."""
    policy = service_policy_spec(spec, {spec.name: spec}, [], PEERS)
    return [
        list(rule["ports"])
        for rule in policy["ingress"]
        if rule["from_"][0]["pod_selector"]["match_labels"] == PEERS.prometheus.pod_labels
    ]


def test_prometheus_may_reach_the_bridges_metrics_port_through_the_network_policy() -> None:
    spec = ServiceSpec.model_validate({**BRIDGED, "port": 8000})
    assert prometheus_ports(spec) == [[{"protocol": "TCP", "port": 8000}]]


def test_prometheus_may_reach_a_metrics_port_declared_apart_from_the_service_port() -> None:
    plain = {"name": "queue", "image": "example.org/mcp/queue:1.0", "transport": "streamable-http", "port": 8080}
    spec = ServiceSpec.model_validate({**plain, "metrics": {"port": 9464}})
    assert prometheus_ports(spec) == [[{"protocol": "TCP", "port": 9464}]]


def test_the_rules_read_the_histogram_and_names_the_bridge_exports() -> None:
    """The tool latency SLO counts at one of the bridge's bucket bounds, and calls of tools the server does not have
    are left out under the name the bridge gives them: both as images/bridge/src/telemetry.js defines them."""
    source = (PROJECT_DIR / "images" / "bridge" / "src" / "telemetry.js").read_text()
    buckets = re.search(r"export const BUCKETS = \[([^\]]*)\];", source)
    other = re.search(r"export const OTHER = '([^']*)';", source)
    assert buckets is not None and other is not None, "telemetry.js no longer defines BUCKETS and OTHER"
    assert tuple(float(bound) for bound in buckets.group(1).split(",")) == OPERATION_DURATION_BUCKETS
    assert other.group(1) == OTHER_TOOL
