"""Behind the edge, the origin answers nobody else: the tunnel (default) and the mTLS lock, as staging and prod
render them. A request that did not come through the worker has no route to any service."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra.mock_runtime import Evaluation
from infra.render import kubernetes_manifests
from infra.stack_files import read_stack_config
from tests.helpers.secrets import unwrap_secret
from tests.helpers.stacks import KUBERNETES_STACKS, evaluate_stack

TUNNEL = "cloudflare:index/zeroTrustTunnelCloudflared:ZeroTrustTunnelCloudflared"
TUNNEL_CONFIG = "cloudflare:index/zeroTrustTunnelCloudflaredConfig:ZeroTrustTunnelCloudflaredConfig"
VPC_SERVICE = "cloudflare:index/connectivityDirectoryService:ConnectivityDirectoryService"
MTLS_CERTIFICATE = "cloudflare:index/mtlsCertificate:MtlsCertificate"


def with_lock(stack: str, lock: str) -> Evaluation:
    network = json.loads(read_stack_config(stack).values["mcp-suite:network"])
    return evaluate_stack(stack, overrides={"network": {**network, "originLock": lock}})


def origin_binding(evaluation: Evaluation) -> dict[str, Any]:
    bindings = unwrap_secret(evaluation.named("edge-script").wire_inputs["bindings"])
    (origin,) = [b for b in bindings if b["name"] == "ORIGIN"]
    return dict(origin)


def of_kind(manifests: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [m for m in manifests if m["kind"] == kind]


def public_entrances(manifests: list[dict[str, Any]]) -> list[str]:
    """Everything that would answer a request from outside the cluster without the worker's credentials."""
    found = [f"Ingress {m['metadata']['name']}" for m in of_kind(manifests, "Ingress")]
    found += [
        f"Service {m['metadata']['name']}"
        for m in of_kind(manifests, "Service")
        if m["spec"].get("type") in ("LoadBalancer", "NodePort")
    ]
    proxies = {
        m["metadata"]["name"]: m["spec"]["provider"]["kubernetes"]["envoyService"]
        for m in of_kind(manifests, "EnvoyProxy")
    }
    validated = {
        ref["name"]
        for m in of_kind(manifests, "ClientTrafficPolicy")
        if m["spec"].get("tls", {}).get("clientValidation", {}).get("mode") == "RequireAndVerify"
        for ref in m["spec"]["targetRefs"]
    }
    for gateway in of_kind(manifests, "Gateway"):
        proxy = proxies[gateway["spec"]["infrastructure"]["parametersRef"]["name"]]
        if proxy["type"] != "ClusterIP" and gateway["metadata"]["name"] not in validated:
            found.append(f"Gateway {gateway['metadata']['name']}")
    return found


@pytest.mark.parametrize("stack", KUBERNETES_STACKS)
def test_behind_the_tunnel_nothing_listens_for_the_outside(stack: str) -> None:
    evaluation = evaluate_stack(stack)
    manifests = kubernetes_manifests(evaluation)
    assert public_entrances(manifests) == []
    (proxy,) = of_kind(manifests, "EnvoyProxy")
    assert proxy["spec"]["provider"]["kubernetes"]["envoyService"] == {
        "name": f"mcp-{stack}-gateway",
        "type": "ClusterIP",
    }
    # The tunnel has no public hostname: its only route is the VPC service the worker binds.
    (config,) = evaluation.of_type(TUNNEL_CONFIG)
    assert config.inputs["config"] == {"ingresses": [{"service": "http_status:404"}]}
    (service,) = evaluation.of_type(VPC_SERVICE)
    host = f"mcp-{stack}-gateway.envoy-gateway-system.svc.cluster.local"
    assert service.inputs["host"] == {"hostname": host, "resolverNetwork": {"tunnelId": "origin-tunnel-tunnel-id"}}
    assert service.inputs["httpsPort"] == 443
    assert origin_binding(evaluation) == {
        "name": "ORIGIN",
        "type": "vpc_service",
        "serviceId": "origin-tunnel-vpc-service-id",
    }
    # The connector reads the tunnel's token from a file of its Secret, never from its spec or environment.
    (deployment,) = [m for m in of_kind(manifests, "Deployment") if m["metadata"]["name"] == "cloudflared"]
    pod = deployment["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["args"][-2:] == ["--token-file", "/etc/cloudflared/token/token"]
    assert container["volumeMounts"] == [{"name": "token", "mountPath": "/etc/cloudflared/token", "readOnly": True}]
    assert pod["volumes"] == [{"name": "token", "secret": {"secretName": "cloudflared-token", "defaultMode": 0o440}}]
    assert "env" not in container
    token = evaluation.named("tunnel-connector-token").wire_inputs["stringData"]
    assert unwrap_secret(token) == {"token": "<mock token of tunnel origin-tunnel-tunnel-id>"}
    assert "<mock token of tunnel" not in str(evaluation.named("tunnel-connector-token").inputs)


@pytest.mark.parametrize("stack", KUBERNETES_STACKS)
def test_under_the_mtls_lock_the_public_gateway_requires_the_workers_certificate(stack: str) -> None:
    evaluation = with_lock(stack, "mtls")
    manifests = kubernetes_manifests(evaluation)
    assert public_entrances(manifests) == []
    (proxy,) = of_kind(manifests, "EnvoyProxy")
    assert proxy["spec"]["provider"]["kubernetes"]["envoyService"]["type"] == "LoadBalancer"
    (ca,) = [m for m in of_kind(manifests, "ConfigMap") if m["metadata"]["name"] == "origin-client-ca"]
    assert ca["data"] == {"ca.crt": "<mock certificate PEM>"}
    (certificate,) = evaluation.of_type(MTLS_CERTIFICATE)
    assert certificate.inputs["ca"] is False
    assert certificate.inputs["certificates"] == "<mock client certificate PEM>"
    assert "privateKey" not in certificate.inputs or "mock private key" not in str(certificate.inputs["privateKey"])
    assert origin_binding(evaluation) == {
        "name": "ORIGIN",
        "type": "mtls_certificate",
        "certificateId": "origin-client-certificate-id",
    }
    assert not evaluation.of_type(TUNNEL) and not evaluation.of_type(VPC_SERVICE)
    assert not [m for m in of_kind(manifests, "Deployment") if m["metadata"]["name"] == "cloudflared"]


def test_without_the_edge_the_gateway_is_the_public_entrance_and_no_lock_is_made() -> None:
    evaluation = evaluate_stack("staging", overrides={"edge": {"enabled": False}})
    manifests = kubernetes_manifests(evaluation)
    assert public_entrances(manifests) == ["Gateway mcp"]
    assert not evaluation.of_type(TUNNEL) and not evaluation.of_type(MTLS_CERTIFICATE)
