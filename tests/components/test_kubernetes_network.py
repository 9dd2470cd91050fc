"""NetworkPolicies and the Gateway under mocks: what the catalog declares becomes policies and routes."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from components.kubernetes.gateway import Gateway, GatewayArgs
from components.kubernetes.network_policies import NetworkPolicies, NetworkPoliciesArgs
from components.render.gateway_api import GatewayOptions, backend_traffic_policy_spec
from components.render.network_policy import ClusterPeer, PolicyPeers
from components.spec import ServiceSpec
from infra.mock_runtime import Evaluation, evaluate


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
    gateway=ClusterPeer("envoy-gateway-system", {"gateway.envoyproxy.io/owning-gateway-name": "mcp"}),
    prometheus=ClusterPeer("monitoring", {"app.kubernetes.io/name": "prometheus"}),
    blackbox_exporter=ClusterPeer("monitoring", {"app.kubernetes.io/name": "prometheus-blackbox-exporter"}),
    dns=ClusterPeer("kube-system", {"k8s-app": "kube-dns"}),
)
OPTIONS = GatewayOptions(
    host="mcp-origin.example.com",
    gateway_class="eg",
    tls_secret="mcp-test-ingress-tls",
    body_limit="8m",
    stream_timeout_seconds=3600,
    origin_lock="tunnel",
    service_name="mcp-test-gateway",
    latency_buckets_ms=(200.0, 500.0),
)


def policies() -> dict[str, dict[str, Any]]:
    def program() -> NetworkPolicies:
        return NetworkPolicies("policies", NetworkPoliciesArgs(namespace="mcp-test", catalog=CATALOG, peers=PEERS))

    evaluation = evaluate("test", {}, frozenset(), program)
    return {
        e.inputs["metadata"]["name"]: e.inputs
        for e in evaluation.of_type("kubernetes:networking.k8s.io/v1:NetworkPolicy")
    }


def gateway(cluster_issuer: str | None = "letsencrypt-prod", **changes: Any) -> Evaluation:
    options = dataclasses.replace(OPTIONS, **changes)
    ca = "<CA PEM>" if options.origin_lock == "mtls" else None

    def program() -> Gateway:
        args = GatewayArgs(
            namespace="mcp-test", catalog=CATALOG, options=options, cluster_issuer=cluster_issuer, client_ca_pem=ca
        )
        return Gateway("gateway", args)

    return evaluate("test", {}, frozenset(), program)


def objects(evaluation: Evaluation, kind: str) -> dict[str, dict[str, Any]]:
    return {
        e.inputs["metadata"]["name"]: e.inputs
        for e in evaluation.registrations
        if e.type.startswith("kubernetes:gateway.") and e.inputs["kind"] == kind
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


def test_monitoring_and_gateway_proxies_are_selected_by_namespace_and_pod() -> None:
    sources = [rule["from"][0] for rule in policies()["notes"]["spec"]["ingress"][:3]]
    assert [
        (s["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"], s["podSelector"]["matchLabels"])
        for s in sources
    ] == [
        ("envoy-gateway-system", {"gateway.envoyproxy.io/owning-gateway-name": "mcp"}),
        ("monitoring", {"app.kubernetes.io/name": "prometheus"}),
        ("monitoring", {"app.kubernetes.io/name": "prometheus-blackbox-exporter"}),
    ]


def test_each_service_gets_its_exact_path_on_the_tls_host_rewritten_to_its_mcp_path() -> None:
    evaluation = gateway()
    (listener,) = objects(evaluation, "Gateway")["mcp"]["spec"]["listeners"]
    assert listener["hostname"] == "mcp-origin.example.com" and listener["protocol"] == "HTTPS"
    assert listener["tls"]["certificateRefs"] == [{"kind": "Secret", "name": "mcp-test-ingress-tls"}]
    assert listener["allowedRoutes"] == {"namespaces": {"from": "Same"}}
    (rule,) = objects(evaluation, "HTTPRoute")["notes"]["spec"]["rules"]
    assert rule["matches"] == [{"path": {"type": "Exact", "value": "/notes/mcp"}}]
    assert rule["filters"][0]["urlRewrite"]["path"] == {"type": "ReplaceFullPath", "replaceFullPath": "/rpc"}
    assert rule["backendRefs"] == [{"name": "notes", "port": 9000}]
    assert rule["timeouts"] == {"request": "3600s"}


def test_quiet_streams_stay_open_and_big_bodies_are_refused() -> None:
    evaluation = gateway()
    client = objects(evaluation, "ClientTrafficPolicy")["mcp-gateway"]["spec"]
    assert client["timeout"]["http"] == {"idleTimeout": "3600s", "streamIdleTimeout": "3600s"}
    assert "tls" not in client
    backend = objects(evaluation, "BackendTrafficPolicy")
    assert {name: policy["spec"]["requestBuffer"]["limit"] for name, policy in backend.items()} == {
        "search": "8Mi",
        "notes": "8Mi",
    }


@pytest.mark.parametrize(("service", "hashed"), [("search", True), ("notes", False)])
def test_only_replicas_sharing_sessions_hash_on_the_session_header(service: str, hashed: bool) -> None:
    policy = objects(gateway(), "BackendTrafficPolicy")[service]["spec"]
    expected = {
        "type": "ConsistentHash",
        "consistentHash": {"type": "Headers", "headers": [{"name": "Mcp-Session-Id"}]},
    }
    assert policy.get("loadBalancer") == (expected if hashed else None)


@pytest.mark.parametrize(
    ("lock", "service_type"), [("tunnel", "ClusterIP"), ("mtls", "LoadBalancer"), (None, "LoadBalancer")]
)
def test_behind_the_tunnel_the_proxies_have_no_public_service(lock: str | None, service_type: str) -> None:
    proxy = objects(gateway(origin_lock=lock), "EnvoyProxy")["mcp-gateway"]["spec"]
    assert proxy["provider"]["kubernetes"]["envoyService"] == {"name": "mcp-test-gateway", "type": service_type}


def test_under_the_mtls_lock_every_connection_needs_a_certificate_of_the_stacks_ca() -> None:
    evaluation = gateway(origin_lock="mtls")
    client = objects(evaluation, "ClientTrafficPolicy")["mcp-gateway"]["spec"]
    assert client["tls"] == {
        "clientValidation": {
            "mode": "RequireAndVerify",
            "caCertificateRefs": [{"kind": "ConfigMap", "name": "origin-client-ca"}],
        }
    }
    (ca,) = evaluation.of_type("kubernetes:core/v1:ConfigMap")
    assert ca.inputs["data"] == {"ca.crt": "<CA PEM>"}


def test_the_gateway_asks_cert_manager_for_its_certificate_unless_the_secret_is_provided() -> None:
    annotated = objects(gateway(), "Gateway")["mcp"]["metadata"]["annotations"]
    assert annotated == {"cert-manager.io/cluster-issuer": "letsencrypt-prod"}
    assert objects(gateway(cluster_issuer=None), "Gateway")["mcp"]["metadata"]["annotations"] == {}


def test_stateless_replicas_are_not_hashed_so_sessionless_requests_spread() -> None:
    # They send no Mcp-Session-Id: a hash of the empty header would pin every request to one pod.
    stateless = spec("feed", replicas={"min": 2, "max": 6}, sessions="stateless")
    assert "loadBalancer" not in backend_traffic_policy_spec(stateless, OPTIONS)
