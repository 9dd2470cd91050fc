"""The tunnel's connector in the cluster: cloudflared pods holding outbound connections to Cloudflare."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components.render import cloudflared as render
from components.render.checkov_skips import image_skips, skip_annotations
from components.render.labels import managed
from components.render.network_policy import PolicyPeers, tunnel_connector_policy_spec


@dataclass(frozen=True)
class TunnelConnectorArgs:
    namespace: pulumi.Input[str]
    """The suite's namespace."""
    token: pulumi.Input[str]
    """The tunnel's token (a secret): what lets the connector serve the tunnel."""
    image: str
    """cloudflared image, pinned."""
    replicas: int
    """Connectors; each holds its own connections, so one can restart while the others serve."""
    peers: PolicyPeers
    """DNS, Prometheus and the gateway's proxies, which the connector's NetworkPolicy names."""


class TunnelConnector(pulumi.ComponentResource):
    """Secret with the token, the cloudflared Deployment, its disruption budget and its NetworkPolicy."""

    def __init__(self, name: str, args: TunnelConnectorArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mcp-suite:kubernetes:TunnelConnector", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        labels = managed()
        secret = k8s.core.v1.Secret(
            f"{name}-token",
            metadata={"name": render.TOKEN_SECRET, "namespace": args.namespace, "labels": labels},
            string_data={render.TOKEN_KEY: pulumi.Output.secret(args.token)},
            type="Opaque",
            opts=child,
        )
        k8s.apps.v1.Deployment(
            name,
            metadata={
                "name": render.NAME,
                "namespace": args.namespace,
                "labels": render.pod_labels(),
                "annotations": skip_annotations(image_skips(args.image)),
            },
            spec=render.deployment_spec(args.image, args.replicas),
            # The pods read the token at start: they wait for its Secret.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[secret]),
        )
        if args.replicas > 1:
            k8s.policy.v1.PodDisruptionBudget(
                f"{name}-disruption-budget",
                metadata={"name": render.NAME, "namespace": args.namespace, "labels": labels},
                spec=render.disruption_budget_spec(),
                opts=child,
            )
        k8s.networking.v1.NetworkPolicy(
            f"{name}-network-policy",
            metadata={"name": render.NAME, "namespace": args.namespace, "labels": labels},
            spec=tunnel_connector_policy_spec(render.selector_labels(), render.METRICS_PORT, args.peers),
            opts=child,
        )
        self.register_outputs({})
