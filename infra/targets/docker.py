"""Composition of the `docker` target (stack dev): networks, volumes, the gateway and one container per service."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pulumi
import pulumi_docker as docker

from components.docker.gateway import Gateway, GatewayArgs, ProvidedCertificate
from components.docker.mcp_service import McpService, McpServiceArgs
from components.docker.monitoring_stack import MonitoringStack, MonitoringStackArgs
from components.docker.storage_volumes import StorageVolumes, StorageVolumesArgs
from components.render.monitoring.docker_stack import docker_files
from infra.settings import GatewaySettings, Settings
from infra.targets import monitoring
from infra.targets.secrets import secret_env


def compose_docker(settings: Settings) -> None:
    prefix = settings.name_prefix
    provider = docker.Provider("docker", host=settings.docker.host)
    with_provider = pulumi.ResourceOptions(provider=provider)
    stack_label: list[docker.NetworkLabelArgsDict] = [{"label": "mcp-suite/stack", "value": settings.stack}]
    internal = docker.Network(
        "internal-network", name=f"{prefix}-internal", internal=True, labels=stack_label, opts=with_provider
    )
    # Docker publishes no ports of containers that are only on internal networks. This bridge carries the
    # gateway's loopback port; with masquerading off, the gateway gets no outbound NAT through it.
    gateway_network = docker.Network(
        "gateway-network",
        name=f"{prefix}-gateway",
        options={"com.docker.network.bridge.enable_ip_masquerade": "false"},
        labels=stack_label,
        opts=with_provider,
    )
    # Docker cannot filter by destination, so a service that declares any egress gets a route out; the others
    # have none at all. Kubernetes enforces the declared destinations themselves (docs/network.md).
    egress = None
    if any(spec.egress for spec in settings.services):
        egress = docker.Network("egress-network", name=f"{prefix}-egress", labels=stack_label, opts=with_provider)
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
    for spec in settings.services:
        service = McpService(
            spec.name,
            McpServiceArgs(
                spec=spec,
                container_name=f"{prefix}-{spec.name}",
                stack=settings.stack,
                internal_network=internal.name,
                egress_network=egress.name if egress is not None and spec.egress else None,
                volumes=storage.volumes,
                secret_env=secret_env(settings, spec),
            ),
            opts=with_provider,
        )
        endpoints[spec.name] = service.endpoint
    options = settings.network.gateway
    gateway = Gateway(
        "gateway",
        GatewayArgs(
            container_name=f"{prefix}-gateway",
            stack=settings.stack,
            services=settings.services,
            internal_network=internal.name,
            gateway_network=gateway_network.name,
            address=options.address,
            port=options.port,
            hostname=options.hostname,
            stream_timeout_seconds=settings.network.stream_timeout_seconds,
            certificate=provided_certificate(options),
        ),
        opts=with_provider,
    )
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
                publish_network=gateway_network.name,
                publish_address=settings.network.gateway.address,
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
    pulumi.export(
        "urls", gateway.url.apply(lambda base: {spec.name: f"{base}/{spec.name}/mcp" for spec in settings.services})
    )
    pulumi.export("gatewayCertificate", gateway.certificate_pem)
    pulumi.export("volumes", storage.names)


def provided_certificate(options: GatewaySettings) -> ProvidedCertificate | None:
    """The configured certificate files with their content hashes, so a renewed file replaces the gateway."""
    if options.certificate_file is None or options.key_file is None:
        return None
    return ProvidedCertificate(
        certificate_file=options.certificate_file,
        certificate_sha256=_sha256(options.certificate_file, "network.gateway.certificateFile"),
        key_file=options.key_file,
        key_sha256=_sha256(options.key_file, "network.gateway.keyFile"),
    )


def _sha256(path: str, key: str) -> str:
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError as error:
        raise pulumi.RunError(
            f"mcp-suite:{key}: cannot read {path!r} ({error.strerror}); give the path of a PEM file on this machine"
        ) from None
