"""The suite's entrance on Kubernetes: a Gateway, an HTTPRoute per service and Envoy Gateway's policies."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.render import gateway_api as render
from components.render.labels import managed
from components.spec import ServiceSpec


@dataclass(frozen=True)
class GatewayArgs:
    namespace: pulumi.Input[str]
    """Namespace of the services, their routes and the Gateway."""
    catalog: Sequence[ServiceSpec]
    """Services to route, one path each."""
    options: render.GatewayOptions
    """Host, class, TLS, limits, timeouts and how the entrance is exposed."""
    cluster_issuer: str | None = None
    """cert-manager ClusterIssuer that issues the TLS Secret; None when the Secret is provided."""
    client_ca_pem: pulumi.Input[str] | None = None
    """CA certificate whose client certificates the gateway requires; needed by `origin_lock: mtls` only."""


class Gateway(pulumi.ComponentResource):
    """Routes `https://<host>/<service>/mcp` to each service through Envoy Gateway, with TLS."""

    def __init__(self, name: str, args: GatewayArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mcp-suite:kubernetes:Gateway", name, None, opts)
        if (args.options.origin_lock == "mtls") != (args.client_ca_pem is not None):
            raise ValueError("client_ca_pem is the mTLS lock's CA: give it exactly when origin_lock is mtls")
        child = pulumi.ResourceOptions(parent=self)
        labels = managed()

        def custom(resource: str, api: str, kind: str, object_name: str, spec: dict[str, Any], **meta: Any) -> None:
            k8s.apiextensions.CustomResource(
                f"{name}-{resource}",
                api_version=api,
                kind=kind,
                metadata={"name": object_name, "namespace": args.namespace, "labels": labels, **meta},
                spec=spec,
                opts=child,
            )

        gateway_api, envoy = f"{render.GATEWAY_API}/v1", f"{render.ENVOY_GATEWAY}/v1alpha1"
        custom("proxy", envoy, "EnvoyProxy", render.ENVOY_PROXY_NAME, render.envoy_proxy_spec(args.options))
        custom(
            "gateway",
            gateway_api,
            "Gateway",
            render.GATEWAY_NAME,
            render.gateway_spec(args.options),
            annotations=render.gateway_annotations(args.cluster_issuer),
        )
        custom(
            "client-policy",
            envoy,
            "ClientTrafficPolicy",
            render.ENVOY_PROXY_NAME,
            render.client_traffic_policy_spec(args.options),
        )
        if args.client_ca_pem is not None:
            k8s.core.v1.ConfigMap(
                f"{name}-client-ca",
                metadata={"name": render.CLIENT_CA_CONFIG_MAP, "namespace": args.namespace, "labels": labels},
                data=pulumi.Output.from_input(args.client_ca_pem).apply(render.client_ca_data),
                opts=child,
            )
        for spec in args.catalog:
            custom(
                f"route-{spec.name}", gateway_api, "HTTPRoute", spec.name, render.http_route_spec(spec, args.options)
            )
            custom(
                f"backend-policy-{spec.name}",
                envoy,
                "BackendTrafficPolicy",
                spec.name,
                render.backend_traffic_policy_spec(spec, args.options),
            )
        # Known now: a plain dict, not an Output over one Output per service.
        self.urls = {spec.name: f"https://{args.options.host}{render.public_path(spec)}" for spec in args.catalog}
        """MCP URL of each service at the origin."""
        self.register_outputs({"urls": self.urls})
