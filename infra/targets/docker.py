"""Composition of the `docker` target (stack dev): networks, volumes and one container per service."""

from __future__ import annotations

import pulumi
import pulumi_docker as docker

from components.docker.mcp_service import McpService, McpServiceArgs
from components.docker.storage_volumes import BACKUP_REPOSITORY, BACKUP_STATUS, StorageVolumes, StorageVolumesArgs
from components.docker.volume_backups import VolumeBackups, VolumeBackupsArgs, backup_container_name
from components.spec import DEFAULT_UID, VOLUME_PURPOSES
from infra.settings import Settings
from infra.targets.secrets import backup_password, backup_s3_credentials, secret_env


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
    backup_image = docker.RemoteImage("backup-image", name=settings.backup.image, keep_locally=True, opts=with_provider)
    storage = StorageVolumes(
        "storage",
        StorageVolumesArgs(
            name_prefix=prefix,
            owners=volume_owners(settings),
            protect=settings.protect_stateful_data,
            stack=settings.stack,
            ownership_image=backup_image.image_id,
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
            # Waits for the volumes and for their hand-over to the non-root owner.
            opts=pulumi.ResourceOptions(provider=provider, depends_on=[storage]),
        )
        endpoints[spec.name] = service.endpoint
    pulumi.export("target", "docker")
    pulumi.export("network", internal.name)
    pulumi.export("endpoints", endpoints)
    pulumi.export("volumes", storage.names)
    if settings.backs_up:
        by_purpose = {entry.purpose: entry for entry in storage.volumes}
        backups = VolumeBackups(
            "backups",
            VolumeBackupsArgs(
                container_name=backup_container_name(prefix),
                name_prefix=prefix,
                stack=settings.stack,
                image=backup_image.image_id,
                schedule=settings.backup.schedule,
                sources=[by_purpose[purpose] for purpose in settings.backup.volumes],
                status_volume=by_purpose[BACKUP_STATUS],
                repository_volume=by_purpose.get(BACKUP_REPOSITORY),
                repository=settings.backup.repository,
                password=backup_password(settings),
                s3_credentials=backup_s3_credentials(settings),
            ),
            opts=pulumi.ResourceOptions(provider=provider, depends_on=[storage]),
        )
        pulumi.export("backupContainer", backups.container_name)


def volume_owners(settings: Settings) -> dict[str, int]:
    """Every suite volume (all five purposes) and the backup support volumes, with the UID that writes each."""
    owners: dict[str, int] = {purpose: settings.volume_owner(purpose) for purpose in VOLUME_PURPOSES}
    if settings.backs_up:
        owners[BACKUP_STATUS] = DEFAULT_UID
        if settings.backup.repository is None:
            owners[BACKUP_REPOSITORY] = DEFAULT_UID
    return owners
