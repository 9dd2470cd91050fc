"""One MCP service on Koyeb: a Koyeb Secret per secret env value and a Koyeb Service in the suite's App."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_koyeb as koyeb

from components.render import koyeb as render
from components.render.koyeb_platform import KoyebInstanceType, KoyebRegion, secret_name
from components.spec import ServiceSpec


@dataclass(frozen=True)
class McpServiceArgs:
    spec: ServiceSpec
    """The service's declaration."""
    image: pulumi.Input[str]
    """Image the service runs: the spec's published image, or the digest of the one the suite built."""
    app: koyeb.App
    """The suite's Koyeb App; the service joins it and is routed at `/<service>/` on its public host."""
    app_name: str
    """The App's name, known before deployment: secret names derive from it, so they are stable and unique."""
    public_host: pulumi.Input[str]
    """The App's public host name (`<app>-<org>.koyeb.app`), for the endpoint output."""
    regions: Sequence[KoyebRegion]
    """Regions the service runs in."""
    instance_type: KoyebInstanceType
    """Instance type for the service's size tier."""
    p95_latency_target_ms: int | None
    """p95 response time autoscaling target in milliseconds; None scales on CPU only."""
    secret_env: dict[str, pulumi.Output[str]] = field(default_factory=dict)
    """Secret environment values (secret Outputs); keys match `spec.secret_env`."""


class McpService(pulumi.ComponentResource):
    """Koyeb Service and secrets of one MCP server."""

    def __init__(self, name: str, args: McpServiceArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mcp-suite:koyeb:McpService", name, None, opts)
        spec = args.spec
        child = pulumi.ResourceOptions(parent=self)
        secret_refs: dict[str, pulumi.Input[str]] = {}
        for env_name in spec.secret_env:
            secret = koyeb.Secret(
                f"{name}-secret-{env_name}",
                name=secret_name(args.app_name, spec.name, env_name),
                type="SIMPLE",
                value=args.secret_env[env_name],
                opts=child,
            )
            # Referencing the secret's name output also orders the service after the secret.
            secret_refs[env_name] = secret.name
        service = koyeb.Service(
            f"{name}-service",
            app_name=args.app.name,
            definition=render.service_definition(
                spec,
                image=args.image,
                public_host=args.public_host,
                regions=args.regions,
                instance_type=args.instance_type,
                p95_latency_target_ms=args.p95_latency_target_ms,
                secret_refs=secret_refs,
            ),
            opts=child,
        )
        self.service_name: pulumi.Output[str] = service.name
        self.endpoint: pulumi.Output[str] = pulumi.Output.from_input(args.public_host).apply(
            lambda host: render.endpoint(host, spec)
        )
        """Public URL of the MCP endpoint."""
        self.register_outputs({"endpoint": self.endpoint, "service_name": self.service_name})
