"""The origin lock's Cloudflare side: a tunnel without public hostnames, and the Workers VPC service behind it."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_cloudflare as cloudflare

from components.render.gateway_api import HTTPS_PORT


@dataclass(frozen=True)
class OriginTunnelArgs:
    account_id: str
    """Cloudflare account of the tunnel, the VPC service and the worker that binds it."""
    name: str
    """Name of the tunnel and the VPC service (unique in the account)."""
    gateway_host: str
    """In-cluster DNS name of the gateway's Service, which cloudflared resolves and connects to."""


class OriginTunnel(pulumi.ComponentResource):
    """A remotely managed tunnel whose only route is the VPC service the edge worker binds as its origin."""

    def __init__(self, name: str, args: OriginTunnelArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mcp-suite:cloudflare:OriginTunnel", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tunnel = cloudflare.ZeroTrustTunnelCloudflared(
            f"{name}-tunnel", account_id=args.account_id, name=args.name, config_src="cloudflare", opts=child
        )
        cloudflare.ZeroTrustTunnelCloudflaredConfig(
            f"{name}-config",
            account_id=args.account_id,
            tunnel_id=tunnel.id,
            # No public hostname: a request to any name through this tunnel's public side gets 404. Only the
            # VPC service reaches the gateway.
            config={"ingresses": [{"service": "http_status:404"}]},
            opts=child,
        )
        service = cloudflare.ConnectivityDirectoryService(
            f"{name}-vpc-service",
            account_id=args.account_id,
            name=args.name,
            type="http",
            https_port=HTTPS_PORT,
            # No resolver addresses: cloudflared resolves the name with the pod's resolver, the cluster DNS.
            host={"hostname": args.gateway_host, "resolver_network": {"tunnel_id": tunnel.id}},
            opts=child,
        )
        token = cloudflare.get_zero_trust_tunnel_cloudflared_token_output(
            account_id=args.account_id, tunnel_id=tunnel.id, opts=pulumi.InvokeOutputOptions(parent=self)
        )
        self.token: pulumi.Output[str] = pulumi.Output.secret(token.token)
        """The connector's credential."""
        self.service_id: pulumi.Output[str] = service.id
        """The VPC service the worker binds as ORIGIN."""
        self.register_outputs({"service_id": self.service_id})
