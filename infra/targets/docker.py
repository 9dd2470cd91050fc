"""Composition of the `docker` target (stack dev): networks, volumes, the gateway and one container per service."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pulumi
import pulumi_docker as docker

from components.docker.gateway import Gateway, GatewayArgs, ProvidedCertificate
from components.docker.mcp_service import McpService, McpServiceArgs
from components.docker.monitoring_stack import MonitoringStack, MonitoringStackArgs
from components.docker.pulled_image import pulled_image
from components.docker.storage_volumes import BACKUP_REPOSITORY, BACKUP_STATUS, StorageVolumes, StorageVolumesArgs
from components.docker.volume_backups import VolumeBackups, VolumeBackupsArgs, backup_container_name
from components.render import labels
from components.render.monitoring.docker_stack import docker_files
from components.spec import DEFAULT_UID, VOLUME_PURPOSES
from infra.settings import GatewaySettings, Settings
from infra.settings.images import dev_source_path
from infra.targets import monitoring
from infra.targets.images import service_images
from infra.targets.secrets import backup_password, backup_s3_credentials, secret_env


def compose_docker(settings: Settings) -> None:
    prefix = settings.name_prefix
    provider = docker.Provider("docker", host=settings.docker.host)
    with_provider = pulumi.ResourceOptions(provider=provider)
    stack_label: list[docker.NetworkLabelArgsDict] = [{"label": labels.STACK_KEY, "value": settings.stack}]
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
    backup_image = pulled_image("backup-image", settings.backup.image, with_provider)
    storage = StorageVolumes(
        "storage",
        StorageVolumesArgs(
            name_prefix=prefix,
            owners=volume_owners(settings),
            protect=settings.protect_stateful_data,
            stack=settings.stack,
            ownership_image=backup_image,
        ),
        opts=with_provider,
    )
    endpoints: dict[str, pulumi.Output[str]] = {}
    images = service_images(settings, with_provider)
    for spec in settings.services:
        service = McpService(
            spec.name,
            McpServiceArgs(
                spec=spec,
                image=images[spec.name],
                container_name=f"{prefix}-{spec.name}",
                stack=settings.stack,
                internal_network=internal.name,
                egress_network=egress.name if egress is not None and spec.egress else None,
                volumes=storage.volumes,
                secret_env=secret_env(settings, spec),
                dev_source=str(dev_source_path(spec.dev_source)) if spec.dev_source is not None else None,
                public_hosts=[settings.network.gateway.hostname],
            ),
            # Waits for the volumes and for their hand-over to the non-root owner.
            opts=pulumi.ResourceOptions(provider=provider, depends_on=[storage]),
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
        inputs = monitoring.monitoring_inputs(settings)
        stack = MonitoringStack(
            "monitoring",
            MonitoringStackArgs(
                files=docker_files(
                    services=settings.services,
                    stack=settings.stack,
                    container_prefix=prefix,
                    retention=inputs.retention,
                    backup_max_age_hours=inputs.backup_max_age_hours,
                    parts=inputs.parts,
                    receivers=inputs.receivers,
                ),
                name_prefix=prefix,
                stack=settings.stack,
                internal_network=internal.name,
                publish_network=gateway_network.name,
                publish_address=settings.network.gateway.address,
                inputs=inputs,
            ),
            opts=with_provider,
        )
        pulumi.export("monitoring", stack.urls)
    if settings.backs_up and (backup_secrets := settings.backup_secrets) is not None:
        by_purpose = {entry.purpose: entry for entry in storage.volumes}
        backups = VolumeBackups(
            "backups",
            VolumeBackupsArgs(
                container_name=backup_container_name(prefix),
                name_prefix=prefix,
                stack=settings.stack,
                image=backup_image,
                schedule=settings.backup.schedule,
                sources=[by_purpose[purpose] for purpose in settings.backup.volumes],
                status_volume=by_purpose[BACKUP_STATUS],
                repository_volume=by_purpose.get(BACKUP_REPOSITORY),
                repository=settings.backup.repository,
                password=backup_password(backup_secrets),
                s3_credentials=backup_s3_credentials(backup_secrets),
            ),
            opts=pulumi.ResourceOptions(provider=provider, depends_on=[storage]),
        )
        pulumi.export("backupContainer", backups.container_name)
    pulumi.export("target", "docker")
    pulumi.export("network", internal.name)
    pulumi.export("endpoints", endpoints)
    pulumi.export(
        "urls", gateway.url.apply(lambda base: {spec.name: f"{base}/{spec.name}/mcp" for spec in settings.services})
    )
    pulumi.export("gatewayCertificate", gateway.certificate_pem)
    pulumi.export("volumes", storage.names)


def volume_owners(settings: Settings) -> dict[str, int]:
    """Every suite volume (all five purposes) and the backup support volumes, with the UID that writes each."""
    owners: dict[str, int] = {purpose: settings.volume_owner(purpose) for purpose in VOLUME_PURPOSES}
    if settings.backs_up:
        owners[BACKUP_STATUS] = DEFAULT_UID
        if settings.backup.repository is None:
            owners[BACKUP_REPOSITORY] = DEFAULT_UID
    return owners


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
