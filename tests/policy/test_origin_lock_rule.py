"""The stack rule behind an edge: nothing in the cluster answers the public except through the edge worker."""

from __future__ import annotations

from typing import Any

from policy.mcp_policies import STACK_RULES, Resource
from tests.policy.resources import STAGING

WORKER = "cloudflare:index/workersScript:WorkersScript"
GATEWAY = "kubernetes:gateway.networking.k8s.io/v1:Gateway"
PROXY = "kubernetes:gateway.envoyproxy.io/v1alpha1:EnvoyProxy"
CLIENT_POLICY = "kubernetes:gateway.envoyproxy.io/v1alpha1:ClientTrafficPolicy"
INGRESS = "kubernetes:networking.k8s.io/v1:Ingress"
SERVICE = "kubernetes:core/v1:Service"

ORIGIN = {"name": "ORIGIN", "type": "vpc_service", "serviceId": "svc"}


def worker(*bindings: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    return WORKER, {"scriptName": "edge", "bindings": [{"name": "SERVICES", "type": "plain_text"}, *bindings]}


def gateway() -> tuple[str, dict[str, Any]]:
    reference = {"group": "gateway.envoyproxy.io", "kind": "EnvoyProxy", "name": "mcp-gateway"}
    return GATEWAY, {
        "metadata": {"name": "mcp", "namespace": "mcp"},
        "spec": {"infrastructure": {"parametersRef": reference}},
    }


def proxy(service_type: str) -> tuple[str, dict[str, Any]]:
    service = {"name": "mcp-gateway", "type": service_type}
    spec = {"provider": {"type": "Kubernetes", "kubernetes": {"envoyService": service}}}
    return PROXY, {"metadata": {"name": "mcp-gateway", "namespace": "mcp"}, "spec": spec}


def client_policy(validation: dict[str, Any] | None) -> tuple[str, dict[str, Any]]:
    spec: dict[str, Any] = {"targetRefs": [{"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "mcp"}]}
    if validation is not None:
        spec["tls"] = {"clientValidation": validation}
    return CLIENT_POLICY, {"metadata": {"name": "mcp-gateway", "namespace": "mcp"}, "spec": spec}


def findings(resources: list[tuple[str, dict[str, Any]]]) -> list[str]:
    rule = next(rule for rule in STACK_RULES if rule.name == "origin-locked-behind-edge")
    stack = [Resource(type=t, name=f"r{i}", props=props, urn=f"urn:{i}") for i, (t, props) in enumerate(resources)]
    return [f"{urn}: {message}" for message, urn in rule.check(stack, STAGING)]


MTLS = {"mode": "RequireAndVerify", "caCertificateRefs": [{"kind": "ConfigMap", "name": "origin-client-ca"}]}


def test_a_tunnel_locked_or_mtls_locked_gateway_passes() -> None:
    assert findings([worker(ORIGIN), gateway(), proxy("ClusterIP"), client_policy(None)]) == []
    assert findings([worker(ORIGIN), gateway(), proxy("LoadBalancer"), client_policy(MTLS)]) == []


def test_a_public_gateway_without_client_certificates_is_a_way_around_the_edge() -> None:
    (finding,) = findings([worker(ORIGIN), gateway(), proxy("LoadBalancer"), client_policy(None)])
    assert finding.startswith("urn:1: Gateway 'mcp' has a public listener")
    optional = {**MTLS, "mode": "VerifyIfGiven"}
    assert len(findings([worker(ORIGIN), gateway(), proxy("LoadBalancer"), client_policy(optional)])) == 1


def test_ingresses_public_services_and_a_worker_without_origin_binding_are_found() -> None:
    ingress = (INGRESS, {"metadata": {"name": "memory"}, "spec": {}})
    balancer = (SERVICE, {"metadata": {"name": "debug"}, "spec": {"type": "LoadBalancer"}})
    assert findings([worker(), ingress, balancer]) == [
        "urn:0: the edge worker has no ORIGIN binding (tunnel or mTLS certificate): the origin it forwards to "
        "cannot tell its requests from anyone's; set network.originLock",
        "urn:1: Ingress 'memory' is a public route around the edge; route through the Gateway",
        "urn:2: Service 'debug' is a LoadBalancer: reachable without the edge",
    ]


def test_without_an_edge_the_rule_has_nothing_to_protect() -> None:
    assert findings([gateway(), proxy("LoadBalancer")]) == []
