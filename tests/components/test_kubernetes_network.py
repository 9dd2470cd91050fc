"""NetworkPolicies and IngressGateway under mocks: what the catalog declares becomes policies and routes."""

from __future__ import annotations

from typing import Any

import pytest

from components.kubernetes.ingress_gateway import IngressGateway, IngressGatewayArgs
from components.kubernetes.network_policies import NetworkPolicies, NetworkPoliciesArgs
from components.render.ingress import IngressOptions, service_annotations
from components.render.network_policy import ClusterPeer, PolicyPeers
from components.spec import ServiceSpec
from infra.mock_runtime import Evaluation, evaluate

NGINX = "nginx.ingress.kubernetes.io"


def spec(name: str, **fields: Any) -> ServiceSpec:
    base = {"image": f"ghcr.io/example/{name}:1.0.0", "transport": "streamable-http", "port": 8080}
    return ServiceSpec.model_validate({"name": name, **base, **fields})


CATALOG = (
    spec(
        "search", replicas={"min": 2, "max": 6}, sessions="shared", egress=[{"host": "api.example.com", "ports": [443]}]
    ),
    spec("notes", port=9000, mcpPath="/rpc", callers=["search"], egress=[{"cidr": "10.30.0.0/16", "ports": [5432]}]),
)
PEERS = PolicyPeers(
    ingress_controller=ClusterPeer("ingress-nginx", {"app.kubernetes.io/name": "ingress-nginx"}),
    prometheus=ClusterPeer("monitoring", {"app.kubernetes.io/name": "prometheus"}),
    blackbox_exporter=ClusterPeer("monitoring", {"app.kubernetes.io/name": "prometheus-blackbox-exporter"}),
    dns=ClusterPeer("kube-system", {"k8s-app": "kube-dns"}),
)
OPTIONS = IngressOptions(
    host="mcp-origin.example.com",
    ingress_class="nginx",
    tls_secret="mcp-test-ingress-tls",
    body_limit="8m",
    stream_timeout_seconds=3600,
)


def policies() -> dict[str, dict[str, Any]]:
    def program() -> NetworkPolicies:
        return NetworkPolicies("policies", NetworkPoliciesArgs(namespace="mcp-test", catalog=CATALOG, peers=PEERS))

    evaluation = evaluate("test", {}, frozenset(), program)
    return {
        e.inputs["metadata"]["name"]: e.inputs
        for e in evaluation.of_type("kubernetes:networking.k8s.io/v1:NetworkPolicy")
    }


def gateway(cluster_issuer: str | None = "letsencrypt-prod") -> Evaluation:
    def program() -> IngressGateway:
        args = IngressGatewayArgs(namespace="mcp-test", catalog=CATALOG, options=OPTIONS, cluster_issuer=cluster_issuer)
        return IngressGateway("ingress", args)

    return evaluate("test", {}, frozenset(), program)


def ingresses(evaluation: Evaluation) -> dict[str, dict[str, Any]]:
    return {
        e.inputs["metadata"]["name"]: e.inputs for e in evaluation.of_type("kubernetes:networking.k8s.io/v1:Ingress")
    }


def test_the_namespace_denies_both_directions_by_default() -> None:
    deny = policies()["default-deny"]
    assert deny["metadata"]["namespace"] == "mcp-test"
    assert deny["spec"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}


def test_a_callee_accepts_its_callers_and_the_caller_may_reach_it() -> None:
    rendered = policies()
    notes_sources = [peer for rule in rendered["notes"]["spec"]["ingress"] for peer in rule["from"]]
    assert {
        "podSelector": {"matchLabels": {"app.kubernetes.io/name": "search", "app.kubernetes.io/part-of": "mcp-suite"}}
    } in notes_sources
    search_egress = rendered["search"]["spec"]["egress"]
    assert {
        "to": [
            {
                "podSelector": {
                    "matchLabels": {"app.kubernetes.io/name": "notes", "app.kubernetes.io/part-of": "mcp-suite"}
                }
            }
        ],
        "ports": [{"protocol": "TCP", "port": 9000}],
    } in search_egress
    # Nobody declared notes as a caller of search.
    assert all(
        len(rule["from"]) == 1 and "namespaceSelector" in rule["from"][0]
        for rule in rendered["search"]["spec"]["ingress"]
    )


def test_egress_is_dns_plus_the_declared_destinations() -> None:
    notes = policies()["notes"]["spec"]["egress"]
    assert notes[0]["to"] == [
        {
            "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
            "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
        }
    ]
    assert notes[1:] == [{"to": [{"ipBlock": {"cidr": "10.30.0.0/16"}}], "ports": [{"protocol": "TCP", "port": 5432}]}]
    search_external = policies()["search"]["spec"]["egress"][-1]
    assert search_external["ports"] == [{"protocol": "TCP", "port": 443}]
    v4 = search_external["to"][0]["ipBlock"]
    assert v4["cidr"] == "0.0.0.0/0" and "169.254.0.0/16" in v4["except"] and "10.0.0.0/8" in v4["except"]


def test_monitoring_and_ingress_controller_are_selected_by_namespace_and_pod() -> None:
    sources = [rule["from"][0] for rule in policies()["notes"]["spec"]["ingress"][:3]]
    assert [
        (
            s["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"],
            s["podSelector"]["matchLabels"]["app.kubernetes.io/name"],
        )
        for s in sources
    ] == [
        ("ingress-nginx", "ingress-nginx"),
        ("monitoring", "prometheus"),
        ("monitoring", "prometheus-blackbox-exporter"),
    ]


def test_each_service_gets_its_path_on_the_tls_host_rewritten_to_its_mcp_path() -> None:
    rendered = ingresses(gateway())
    notes = rendered["notes"]
    assert notes["spec"]["ingressClassName"] == "nginx"
    assert notes["spec"]["tls"] == [{"hosts": ["mcp-origin.example.com"], "secretName": "mcp-test-ingress-tls"}]
    path = notes["spec"]["rules"][0]["http"]["paths"][0]
    assert (path["path"], path["pathType"]) == ("/notes/mcp$", "ImplementationSpecific")
    assert path["backend"] == {"service": {"name": "notes", "port": {"name": "http"}}}
    annotations = notes["metadata"]["annotations"]
    assert annotations[f"{NGINX}/rewrite-target"] == "/rpc"
    assert annotations[f"{NGINX}/proxy-body-size"] == "8m"
    assert annotations[f"{NGINX}/proxy-read-timeout"] == annotations[f"{NGINX}/proxy-send-timeout"] == "3600"
    assert annotations[f"{NGINX}/proxy-buffering"] == "off"


@pytest.mark.parametrize(("service", "hashed"), [("search", True), ("notes", False)])
def test_only_replicas_sharing_sessions_hash_on_the_session_header(service: str, hashed: bool) -> None:
    annotations = ingresses(gateway())[service]["metadata"]["annotations"]
    assert annotations.get(f"{NGINX}/upstream-hash-by") == ("$http_mcp_session_id" if hashed else None)
    assert not any("affinity" in key for key in annotations)  # never pinned by client address or cookie


def test_exactly_one_ingress_asks_cert_manager_for_the_certificate() -> None:
    rendered = ingresses(gateway())
    issuers = {
        name: i["metadata"].get("annotations", {}).get("cert-manager.io/cluster-issuer") for name, i in rendered.items()
    }
    assert issuers == {"certificate": "letsencrypt-prod", "search": None, "notes": None}
    assert rendered["certificate"]["spec"]["rules"] == [{"host": "mcp-origin.example.com"}]


def test_a_provided_secret_needs_no_issuer() -> None:
    rendered = ingresses(gateway(cluster_issuer=None))
    assert all("cert-manager.io/cluster-issuer" not in i["metadata"].get("annotations", {}) for i in rendered.values())
    assert {i["spec"]["tls"][0]["secretName"] for i in rendered.values()} == {"mcp-test-ingress-tls"}


def test_stateless_replicas_are_not_hashed_so_sessionless_requests_spread() -> None:
    # They send no Mcp-Session-Id: a hash of the empty header would pin every request to one pod.
    stateless = spec("feed", replicas={"min": 2, "max": 6}, sessions="stateless")
    annotations = service_annotations(stateless, OPTIONS)
    assert f"{NGINX}/upstream-hash-by" not in annotations
