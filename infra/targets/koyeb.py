"""Composition of the `koyeb` target: one Koyeb App and one Koyeb Service per catalog service.

The provider reads its API token from the KOYEB_TOKEN environment variable; pulumi-koyeb 0.1.11 has no token
argument or provider config key, so there is nothing to pass from here.
"""

from __future__ import annotations

import pulumi
import pulumi_koyeb as koyeb

from components.koyeb.mcp_service import McpService, McpServiceArgs
from components.render.koyeb import public_host
from components.render.koyeb_platform import default_instance_type
from infra.settings import Settings
from infra.targets.images import service_images
from infra.targets.secrets import secret_env


def compose_koyeb(settings: Settings) -> None:
    provider = koyeb.Provider("koyeb")
    with_provider = pulumi.ResourceOptions(provider=provider)
    app_name = settings.koyeb_app_name
    app = koyeb.App("app", name=app_name, opts=with_provider)
    host = app.domains.apply(public_host)
    endpoints: dict[str, pulumi.Output[str]] = {}
    images = service_images(settings)
    for spec in settings.services:
        service = McpService(
            spec.name,
            McpServiceArgs(
                spec=spec,
                image=images[spec.name],
                app=app,
                app_name=app_name,
                public_host=host,
                regions=settings.koyeb.regions,
                instance_type=settings.koyeb.instance_types.get(spec.tier) or default_instance_type(spec.resources),
                p95_latency_target_ms=settings.koyeb.p95_latency_target_ms,
                secret_env=secret_env(settings, spec),
            ),
            opts=with_provider,
        )
        endpoints[spec.name] = service.endpoint
    pulumi.export("target", "koyeb")
    pulumi.export("app", app.name)
    pulumi.export("regions", settings.koyeb.regions)
    # Where the services are public (docs/koyeb.md, "What stays public on Koyeb").
    pulumi.export("originHost", host)
    pulumi.export("publicUrl", host.apply(lambda name: f"https://{name}"))
    pulumi.export("endpoints", endpoints)
    pulumi.export("disabledServices", settings.disabled_services)
