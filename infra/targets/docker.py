"""Composition of the `docker` target (stack dev): networks, volumes and one container per service."""

from __future__ import annotations

import pulumi
import pulumi_docker as docker

from components.docker.mcp_service import McpService, McpServiceArgs
from components.docker.monitoring_stack import MonitoringStack, MonitoringStackArgs
from components.docker.storage_volumes import StorageVolumes, StorageVolumesArgs
from components.render.monitoring.docker_stack import docker_files
from infra.settings import Settings
from infra.targets import monitoring
from infra.targets.secrets import secret_env


def compose_docker(settings: Settings) -> None:
    prefix = settings.name_prefix
    provider = docker.Provider("docker", host=settings.docker.host)
    with_provider = pulumi.ResourceOptions(provider=provider)
    internal = docker.Network(
        "internal-network",
        name=f"{prefix}-internal",
        internal=True,
        labels=[{"label": "mcp-suite/stack", "value": settings.stack}],
        opts=with_provider,
    )
    # Docker publishes no ports for containers on internal networks only. This bridge carries the
    # loopback-published port; with masquerading off, containers get no outbound NAT through it.
    publish = docker.Network(
        "publish-network",
        name=f"{prefix}-publish",
        options={"com.docker.network.bridge.enable_ip_masquerade": "false"},
        labels=[{"label": "mcp-suite/stack", "value": settings.stack}],
        opts=with_provider,
    )
    storage = StorageVolumes(
        "storage",
        StorageVolumesArgs(
            name_prefix=prefix,
            purposes=settings.volume_purposes_in_use,
            protect=settings.protect_stateful_data,
            stack=settings.stack,
        ),
        opts=with_provider,
    )
    endpoints: dict[str, pulumi.Output[str]] = {}
    for index, spec in enumerate(settings.services):
        service = McpService(
            spec.name,
            McpServiceArgs(
                spec=spec,
                container_name=f"{prefix}-{spec.name}",
                stack=settings.stack,
                internal_network=internal.name,
                publish_network=publish.name,
                publish_address=settings.docker.publish_address,
                host_port=settings.docker.host_port_base + index,
                volumes=storage.volumes,
                secret_env=secret_env(settings, spec),
            ),
            opts=with_provider,
        )
        endpoints[spec.name] = service.endpoint
    if settings.monitoring.enabled:
        stack = MonitoringStack(
            "monitoring",
            MonitoringStackArgs(
                files=docker_files(
                    services=settings.services,
                    stack=settings.stack,
                    container_prefix=prefix,
                    retention=settings.monitoring.retention,
                    backup_max_age_hours=settings.monitoring.backup_max_age_hours,
                    tracing=settings.monitoring.tracing,
                    receivers=monitoring.receivers(settings),
                ),
                name_prefix=prefix,
                stack=settings.stack,
                internal_network=internal.name,
                publish_network=publish.name,
                publish_address=settings.docker.publish_address,
                tracing=settings.monitoring.tracing,
                retention=settings.monitoring.retention,
                grafana_admin_password=monitoring.grafana_admin_password(settings),
                receivers=monitoring.receivers(settings),
                receiver_credentials=monitoring.receiver_credentials(settings),
            ),
            opts=with_provider,
        )
        pulumi.export("monitoring", stack.urls)
    pulumi.export("target", "docker")
    pulumi.export("network", internal.name)
    pulumi.export("endpoints", endpoints)
    pulumi.export("volumes", storage.names)
