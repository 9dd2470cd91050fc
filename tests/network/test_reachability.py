"""Who may reach whom, computed from the rendered NetworkPolicies, equals the graph the catalog declares.

The declared graph: the suite's gateway proxies, Prometheus and the blackbox exporter reach every service on its
port; a service's `callers` reach it on its port; every service reaches the cluster DNS on port 53 and the
destinations of its `egress` on their ports; each backup job, and a restore job, reaches the DNS and its S3
repository (a public host, HTTPS) and accepts nothing; the tunnel's connector reaches the DNS, Cloudflare's edge on
the tunnel port and the gateway proxies' HTTPS port, and accepts only Prometheus. Anything else, in either
direction, must be denied.
"""

from __future__ import annotations

import copy
import ipaddress
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
import yaml

from components.render import cloudflared
from components.render.gateway_api import proxy_pod_labels
from components.render.network_policy import GATEWAY_PROXY_HTTPS_PORT, TUNNEL_PORT
from components.spec import ServiceSpec
from infra.backup_operations import restore_kubernetes
from infra.render import kubernetes_manifests
from infra.settings import Settings
from tests.helpers.stacks import KUBERNETES_STACKS, evaluate_stack, rendered
from tests.network.policy_evaluator import Cluster, Edge, External, Pod, reachability

NAME_LABEL = "kubernetes.io/metadata.name"
RESTORE_POD = "restore"

# Envoy Gateway's proxies of the suite's Gateway, labelled as Envoy Gateway labels them, in its namespace.
GATEWAY_NAMESPACE = "envoy-gateway-system"
ENVOY_PORTS = {"https-443": GATEWAY_PROXY_HTTPS_PORT}


def gateway_pods(namespace: str) -> list[Pod]:
    """The suite's proxies, and the proxies of another namespace's Gateway named like the suite's."""
    envoy = {"app.kubernetes.io/name": "envoy", "app.kubernetes.io/component": "proxy"}
    return [
        Pod("envoy", GATEWAY_NAMESPACE, {**envoy, **proxy_pod_labels(namespace)}, "10.244.8.1", ENVOY_PORTS),
        Pod("envoy-other-gateway", GATEWAY_NAMESPACE, {**envoy, **proxy_pod_labels("team-b")}, "10.244.8.2"),
        Pod("envoy-impostor", "default", {**envoy, **proxy_pod_labels(namespace)}, "10.244.8.3"),
    ]


# Pods outside the suite, labelled as the real charts label them (the retired ingress-nginx, kube-prometheus-stack,
# prometheus-blackbox-exporter, CoreDNS), and impostors that carry a trusted label in the wrong namespace.
FOREIGN_PODS = [
    Pod(
        "ingress-nginx",
        "ingress-nginx",
        {"app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/component": "controller"},
        "10.244.9.1",
    ),
    Pod(
        "prometheus",
        "monitoring",
        {"app.kubernetes.io/name": "prometheus", "prometheus": "kube-prometheus-stack-prometheus"},
        "10.244.9.2",
    ),
    Pod("blackbox-exporter", "monitoring", {"app.kubernetes.io/name": "prometheus-blackbox-exporter"}, "10.244.9.3"),
    Pod("grafana", "monitoring", {"app.kubernetes.io/name": "grafana"}, "10.244.9.4"),
    Pod("coredns", "kube-system", {"k8s-app": "kube-dns"}, "10.244.9.5", {"dns": 53, "dns-tcp": 53}),
    Pod("coredns-impostor", "default", {"k8s-app": "kube-dns"}, "10.244.9.6"),
    Pod("ingress-impostor", "default", {"app.kubernetes.io/name": "ingress-nginx"}, "10.244.9.7"),
]
PUBLIC = [
    External("api-host", "104.16.3.34"),
    External("public-v4", "8.8.8.8"),
    External("public-v6", "2606:4700::1"),
]
PRIVATE = [
    External("private-10", "10.20.1.5"),
    External("private-172", "172.16.0.10"),
    External("private-192", "192.168.1.10"),
    External("shared-100-64", "100.64.0.1"),
    External("cloud-metadata", "169.254.169.254"),
    External("private-v6", "fd00::1"),
]
PROBE_PORTS = {22, 53, 80, 443, 5432, 8000, 8080, 9090, TUNNEL_PORT, GATEWAY_PROXY_HTTPS_PORT, cloudflared.METRICS_PORT}


def restore_pod_labels(settings: Settings) -> dict[str, str]:
    """The labels of the pod of the restore Job that `python -m infra restore` prints for the stack."""
    printed = restore_kubernetes(settings, settings.backup.volumes[0], "latest", None, False, datetime.now(UTC))
    (job,) = (document for document in yaml.safe_load_all(printed) if document["kind"] == "Job")
    labels: dict[str, str] = job["spec"]["template"]["metadata"]["labels"]
    return labels


def cluster_of(
    manifests: list[dict[str, Any]], namespace: str, stranger_labels: dict[str, str], restore_labels: dict[str, str]
) -> Cluster:
    """The suite's pods as rendered (template labels, named container ports), plus the foreign pods."""
    pods = []
    workloads = [m for m in manifests if m["kind"] in ("Deployment", "StatefulSet")]
    for index, workload in enumerate(sorted(workloads, key=lambda m: m["metadata"]["name"])):
        template = workload["spec"]["template"]
        ports = {p["name"]: p["containerPort"] for c in template["spec"]["containers"] for p in c.get("ports", [])}
        pods.append(
            Pod(
                workload["metadata"]["name"], namespace, template["metadata"]["labels"], f"10.244.0.{index + 10}", ports
            )
        )
    jobs = [m for m in manifests if m["kind"] == "CronJob"]
    for index, job in enumerate(sorted(jobs, key=lambda m: m["metadata"]["name"])):
        labels = job["spec"]["jobTemplate"]["spec"]["template"]["metadata"]["labels"]
        pods.append(Pod(job["metadata"]["name"], namespace, labels, f"10.244.1.{index + 10}"))
    # A restore Job's pod (`python -m infra restore`), which reads the repository the backups write.
    pods.append(Pod(RESTORE_POD, namespace, restore_labels, "10.244.1.250"))
    pods.append(Pod("stranger", namespace, stranger_labels, "10.244.0.250"))
    foreign = [*gateway_pods(namespace), *FOREIGN_PODS]
    namespaces = {pod.namespace: {NAME_LABEL: pod.namespace} for pod in [*pods, *foreign]}
    return Cluster(namespaces, [*pods, *foreign])


def declared_graph(
    services: tuple[ServiceSpec, ...],
    externals: list[External],
    backup_jobs: tuple[str, ...] = (),
    tunnel: bool = True,
) -> set[Edge]:
    """What the catalog says, derived without looking at any policy."""
    public = {endpoint.name for endpoint in PUBLIC}
    edges: set[Edge] = set()
    if tunnel:
        edges |= {("cloudflared", "coredns", "UDP", 53), ("cloudflared", "coredns", "TCP", 53)}
        edges |= {("cloudflared", name, protocol, TUNNEL_PORT) for name in public for protocol in ("UDP", "TCP")}
        edges |= {("cloudflared", "envoy", "TCP", GATEWAY_PROXY_HTTPS_PORT)}
        edges |= {("prometheus", "cloudflared", "TCP", cloudflared.METRICS_PORT)}
    for job in backup_jobs:
        edges |= {(job, "coredns", "UDP", 53), (job, "coredns", "TCP", 53)}
        edges |= {(job, name, "TCP", 443) for name in public}
    for spec in services:
        for source in ("envoy", "prometheus", "blackbox-exporter", *spec.callers):
            edges.add((source, spec.name, "TCP", spec.port))
        edges |= {(spec.name, "coredns", "UDP", 53), (spec.name, "coredns", "TCP", 53)}
        for rule in spec.egress:
            for external in externals:
                if rule.host is not None:
                    covered = external.name in public
                else:
                    covered = ipaddress.ip_address(external.ip) in ipaddress.ip_network(str(rule.cidr))
                if covered:
                    edges |= {(spec.name, external.name, rule.protocol, port) for port in rule.ports}
    return edges


def repository_pods(manifests: list[dict[str, Any]]) -> tuple[str, ...]:
    """The pods of cluster_of that use the backup repository: each backup CronJob's, and the restore pod."""
    return (*(m["metadata"]["name"] for m in manifests if m["kind"] == "CronJob"), RESTORE_POD)


def probe_ports(services: tuple[ServiceSpec, ...]) -> set[int]:
    return PROBE_PORTS | {s.port for s in services} | {p for s in services for rule in s.egress for p in rule.ports}


def computed_graph(
    settings: Settings, manifests: list[dict[str, Any]], policies: list[dict[str, Any]] | None = None
) -> set[Edge]:
    namespace = settings.kubernetes.namespace
    cluster = cluster_of(manifests, namespace, {"app": "debug"}, restore_pod_labels(settings))
    if policies is None:
        policies = [m for m in manifests if m["kind"] == "NetworkPolicy"]
    return reachability(cluster, [*PUBLIC, *PRIVATE], policies, namespace, probe_ports(settings.services))


def stack_graphs(stack: str) -> tuple[Settings, list[dict[str, Any]]]:
    evaluation = rendered(stack)
    assert isinstance(evaluation.result, Settings)
    return evaluation.result, kubernetes_manifests(evaluation)


@pytest.mark.parametrize("stack", KUBERNETES_STACKS)
def test_rendered_policies_allow_exactly_the_declared_graph(stack: str) -> None:
    settings, manifests = stack_graphs(stack)
    computed = computed_graph(settings, manifests)
    jobs = repository_pods(manifests)
    assert len(jobs) == len(settings.backup.volumes) + 1  # the stack's repositories are https://<public host>/...
    declared = declared_graph(settings.services, [*PUBLIC, *PRIVATE], jobs)
    assert computed - declared == set(), "allowed but not declared"
    assert declared - computed == set(), "declared but not allowed"
    # The default catalog's servers download nothing and declare no egress: no service reaches anything outside.
    outside = {external.name for external in [*PUBLIC, *PRIVATE]}
    services = {spec.name for spec in settings.services}
    assert not any(edge[0] in services and edge[1] in outside for edge in computed)


def test_callers_and_cidr_egress_are_honoured_exactly() -> None:
    evaluation = evaluate_stack(
        "staging",
        overrides={
            "serviceOverrides": {
                "memory": {"callers": ["everything", "sequential-thinking"]},
                "filesystem": {"egress": [{"cidr": "10.20.0.0/16", "ports": [5432]}]},
                "everything": {
                    "replicas": {"min": 2, "max": 4},
                    "egress": [{"host": "api.example.com", "ports": [443]}],
                },
                "sequential-thinking": {"replicas": {"min": 2, "max": 4}},
            }
        },
    )
    settings = evaluation.result
    assert isinstance(settings, Settings)
    manifests = kubernetes_manifests(evaluation)
    computed = computed_graph(settings, manifests)
    assert computed == declared_graph(settings.services, [*PUBLIC, *PRIVATE], repository_pods(manifests))
    assert ("everything", "memory", "TCP", 8000) in computed
    assert ("memory", "everything", "TCP", 8000) not in computed
    assert ("filesystem", "private-10", "TCP", 5432) in computed
    assert ("filesystem", "private-172", "TCP", 5432) not in computed
    # A host rule opens the public internet on its port, never the private ranges or cloud metadata.
    assert ("everything", "api-host", "TCP", 443) in computed
    assert not any(edge[0] == "everything" and edge[1] in {"cloud-metadata", "private-10"} for edge in computed)


def _mutated(manifests: list[dict[str, Any]], change: Callable[[list[dict[str, Any]]], None]) -> list[dict[str, Any]]:
    policies = copy.deepcopy([m for m in manifests if m["kind"] == "NetworkPolicy"])
    change(policies)
    return policies


def _policy(policies: list[dict[str, Any]], name: str) -> dict[str, Any]:
    return next(p for p in policies if p["metadata"]["name"] == name)


def _any_monitoring_pod_scrapes(policies: list[dict[str, Any]]) -> None:
    for rule in _policy(policies, "everything")["spec"]["ingress"]:
        for peer in rule["from"]:
            if peer["podSelector"]["matchLabels"] == {"app.kubernetes.io/name": "prometheus"}:
                del peer["podSelector"]


def _no_namespace_for_ingress(policies: list[dict[str, Any]]) -> None:
    for rule in _policy(policies, "memory")["spec"]["ingress"]:
        for peer in rule["from"]:
            if peer["podSelector"]["matchLabels"] == proxy_pod_labels("mcp-staging"):
                peer["namespaceSelector"] = {"matchLabels": {}}


def _egress_without_exceptions(policies: list[dict[str, Any]]) -> None:
    for rule in _policy(policies, "memory")["spec"]["egress"]:
        for peer in rule.get("to", []):
            peer.get("ipBlock", {}).pop("except", None)


def _without_default_deny(policies: list[dict[str, Any]]) -> None:
    policies.remove(_policy(policies, "default-deny"))


def _all_ports_for_callers(policies: list[dict[str, Any]]) -> None:
    for rule in _policy(policies, "filesystem")["spec"]["ingress"]:
        rule.pop("ports", None)


WIDENINGS = [
    pytest.param(_any_monitoring_pod_scrapes, ("grafana", "everything", "TCP", 8000), id="any-monitoring-pod"),
    pytest.param(_no_namespace_for_ingress, ("envoy-impostor", "memory", "TCP", 8000), id="gateway-label-anywhere"),
    pytest.param(_egress_without_exceptions, ("memory", "cloud-metadata", "TCP", 443), id="egress-to-metadata"),
    pytest.param(_without_default_deny, ("ingress-nginx", "stranger", "TCP", 22), id="no-default-deny"),
    pytest.param(_all_ports_for_callers, ("envoy", "filesystem", "TCP", 22), id="every-port"),
]


@pytest.mark.parametrize(("widen", "extra_edge"), WIDENINGS)
def test_a_widened_policy_is_detected(widen: Callable[[list[dict[str, Any]]], None], extra_edge: Edge) -> None:
    # memory given a host egress rule, so that rule's exceptions (private ranges, cloud metadata) are tested too.
    host_egress = {"memory": {"egress": [{"host": "api.example.com", "ports": [443]}]}}
    evaluation = evaluate_stack("staging", overrides={"serviceOverrides": host_egress})
    settings = evaluation.result
    assert isinstance(settings, Settings)
    manifests = kubernetes_manifests(evaluation)
    computed = computed_graph(settings, manifests, _mutated(manifests, widen))
    declared = declared_graph(settings.services, [*PUBLIC, *PRIVATE])
    assert extra_edge in computed - declared


def test_a_narrowed_policy_is_detected() -> None:
    settings, manifests = stack_graphs("staging")

    def drop_dns(policies: list[dict[str, Any]]) -> None:
        _policy(policies, "memory")["spec"]["egress"].pop(0)

    computed = computed_graph(settings, manifests, _mutated(manifests, drop_dns))
    missing = declared_graph(settings.services, [*PUBLIC, *PRIVATE]) - computed
    assert missing == {("memory", "coredns", "UDP", 53), ("memory", "coredns", "TCP", 53)}
