"""Behind the edge, the origin answers nobody else: the tunnel (default) and the mTLS lock, as staging and prod
render them. A request that did not come through the worker has no route to any service."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra.mock_runtime import Evaluation
from infra.render import kubernetes_manifests
from infra.stack_files import read_stack_config
from policy.mcp_policies import STACK_RULES, StackFacts, rule_context
from tests.helpers.policy import policy_resources
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


def lock_findings(evaluation: Evaluation) -> list[str]:
    """What the policy pack's origin-locked-behind-edge rule finds in the stack: every way around the worker."""
    rule = next(rule for rule in STACK_RULES if rule.name == "origin-locked-behind-edge")
    context = rule_context(StackFacts(name=evaluation.stack), {})
    return [message for message, _ in rule.check(policy_resources(evaluation), context)]


@pytest.mark.parametrize("stack", KUBERNETES_STACKS)
def test_behind_the_tunnel_nothing_listens_for_the_outside(stack: str) -> None:
    evaluation = evaluate_stack(stack)
    manifests = kubernetes_manifests(evaluation)
    assert lock_findings(evaluation) == []
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
    assert lock_findings(evaluation) == []
    (proxy,) = of_kind(manifests, "EnvoyProxy")
    assert proxy["spec"]["provider"]["kubernetes"]["envoyService"]["type"] == "LoadBalancer"
    (ca,) = [m for m in of_kind(manifests, "ConfigMap") if m["metadata"]["name"] == "origin-client-ca"]
    assert ca["data"] == {"ca.crt": "<mock certificate PEM>"}
    (certificate,) = evaluation.of_type(MTLS_CERTIFICATE)
    assert certificate.inputs["ca"] is False
    assert certificate.inputs["certificates"] == "<mock client certificate PEM>"
    # The worker's key reaches Cloudflare only as a secret, never into state in plain text.
    assert unwrap_secret(certificate.wire_inputs["privateKey"]) == "<mock private key PEM>"
    assert origin_binding(evaluation) == {
        "name": "ORIGIN",
        "type": "mtls_certificate",
        "certificateId": "origin-client-certificate-id",
    }
    assert not evaluation.of_type(TUNNEL) and not evaluation.of_type(VPC_SERVICE)
    assert not [m for m in of_kind(manifests, "Deployment") if m["metadata"]["name"] == "cloudflared"]


def test_without_the_edge_the_gateway_is_the_public_entrance_and_no_lock_is_made() -> None:
    evaluation = evaluate_stack("staging", overrides={"edge": {"enabled": False}})
    (proxy,) = of_kind(kubernetes_manifests(evaluation), "EnvoyProxy")
    assert proxy["spec"]["provider"]["kubernetes"]["envoyService"]["type"] == "LoadBalancer"
    assert not evaluation.of_type(TUNNEL) and not evaluation.of_type(MTLS_CERTIFICATE)


def test_the_rule_names_every_way_around_the_edge_that_a_lock_left_open() -> None:
    # The proxies made public under the tunnel lock: the Gateway answers anyone, and the rule says so.
    evaluation = evaluate_stack("staging")
    (proxy,) = [e for e in evaluation.registrations if e.type.endswith(":EnvoyProxy")]
    proxy.policy_inputs["spec"]["provider"]["kubernetes"]["envoyService"]["type"] = "LoadBalancer"
    (finding,) = lock_findings(evaluation)
    assert finding.startswith("Gateway 'mcp' has a public listener")
