"""The suite's entry on Kubernetes: an Ingress per service on one TLS host, and the host's certificate."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components.render import ingress as render
from components.render.labels import managed
from components.spec import ServiceSpec


@dataclass(frozen=True)
class IngressGatewayArgs:
    namespace: pulumi.Input[str]
    """Namespace of the services and their Ingresses."""
    catalog: Sequence[ServiceSpec]
    """Services to route, one path each."""
    options: render.IngressOptions
    """Host, class, TLS Secret, body limit and stream timeout."""
    cluster_issuer: str | None = None
    """cert-manager ClusterIssuer that issues the TLS Secret; None when the Secret is provided."""


class IngressGateway(pulumi.ComponentResource):
    """Ingresses routing `https://<host>/<service>/mcp` to each service, with TLS."""

    def __init__(self, name: str, args: IngressGatewayArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mcp-suite:kubernetes:IngressGateway", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        labels = managed()
        k8s.networking.v1.Ingress(
            f"{name}-certificate",
            metadata={
                "name": "certificate",
                "namespace": args.namespace,
                "labels": labels,
                "annotations": render.certificate_annotations(args.cluster_issuer),
            },
            spec=render.certificate_ingress_spec(args.options),
            opts=child,
        )
        for spec in args.catalog:
            k8s.networking.v1.Ingress(
                f"{name}-{spec.name}",
                metadata={
                    "name": spec.name,
                    "namespace": args.namespace,
                    "labels": labels,
                    "annotations": render.service_annotations(spec, args.options),
                },
                spec=render.service_ingress_spec(spec, args.options),
                opts=child,
            )
        # Known now: a plain dict, not an Output over one Output per service.
        self.urls = {spec.name: f"https://{args.options.host}{render.public_path(spec)}" for spec in args.catalog}
        """Public MCP URL of each service at the origin."""
        self.register_outputs({"urls": self.urls})
