"""Scheduled restic backups of the suite's Docker volumes: one long-running, hardened backup container."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_docker as docker

from components.docker.mcp_service import DockerVolume
from components.render import backup as render
from components.render import labels
from components.render.docker_container import hardened, health_check, limits
from components.spec import DEFAULT_UID

SOURCE_ROOT = "/data"
REPOSITORY_DIR = "/repository"
STATUS_DIR = "/status"


@dataclass(frozen=True)
class VolumeBackupsArgs:
    container_name: str
    """Docker container name (`mcp-<stack>-backup`)."""
    name_prefix: str
    """Prefix of the suite's names; restic host names are `<prefix>-<purpose>`."""
    stack: str
    """Stack name, recorded as a label."""
    image: pulumi.Input[str]
    """Id of the pulled restic image (the stack pulls it once for the volume hand-over and the backups)."""
    schedule: str
    """Daily or hourly cron schedule, UTC."""
    sources: list[DockerVolume]
    """Volumes to back up, each mounted read-only at /data/<purpose>."""
    status_volume: DockerVolume
    """Volume receiving one textfile metric per volume (`<purpose>.prom`) for a node-exporter textfile collector."""
    repository_volume: DockerVolume | None
    """Local repository volume (dev); None when `repository` is a remote S3 URL."""
    repository: str | None
    """Base S3 repository; None means the local repository volume."""
    password: pulumi.Output[str]
    """restic password (secret Output)."""
    s3_credentials: tuple[pulumi.Output[str], pulumi.Output[str]] | None = None
    """(access key id, secret access key) as secret Outputs, for an S3 repository."""
    run_as_user: int = DEFAULT_UID
    """UID and GID of the backup process; the services' UID, so their files are readable."""


def backup_container_name(name_prefix: str) -> str:
    return f"{name_prefix}-backup"


def volume_jobs(name_prefix: str, repository: str | None, purposes: Sequence[str]) -> list[render.VolumeBackup]:
    """The backups the container runs: volumes under /data, one repository each, a textfile metric each."""
    base = repository if repository is not None else REPOSITORY_DIR
    return [
        render.VolumeBackup(
            purpose=purpose,
            source_dir=f"{SOURCE_ROOT}/{purpose}",
            repository=render.volume_repository(base, purpose),
            host=render.restic_host(name_prefix, purpose),
            status_dir=STATUS_DIR,
        )
        for purpose in purposes
    ]


class VolumeBackups(pulumi.ComponentResource):
    """restic in a container that sleeps until the schedule, then backs up, prunes and checks every volume."""

    def __init__(self, name: str, args: VolumeBackupsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mcp-suite:docker:VolumeBackups", name, None, opts)
        mounts: list[docker.ContainerVolumeArgsDict] = [
            {"volume_name": source.volume.name, "container_path": f"{SOURCE_ROOT}/{source.purpose}", "read_only": True}
            for source in args.sources
        ]
        mounts.append({"volume_name": args.status_volume.volume.name, "container_path": STATUS_DIR})
        if args.repository_volume is not None:
            mounts.append({"volume_name": args.repository_volume.volume.name, "container_path": REPOSITORY_DIR})
        secret_env = [pulumi.Output.concat("RESTIC_PASSWORD=", args.password)]
        if args.s3_credentials is not None:
            key_id, secret_key = args.s3_credentials
            secret_env += [
                pulumi.Output.concat("AWS_ACCESS_KEY_ID=", key_id),
                pulumi.Output.concat("AWS_SECRET_ACCESS_KEY=", secret_key),
            ]
        plain_env = {"RESTIC_CACHE_DIR": render.CACHE_DIR, "HOME": "/tmp"}
        container = docker.Container(
            f"{name}-container",
            name=args.container_name,
            image=args.image,
            entrypoints=["/bin/sh", "-c"],
            # In the command, not the environment: the environment holds the password, so previews redact it whole.
            command=[
                render.scheduled_backups_script(
                    args.schedule, volume_jobs(args.name_prefix, args.repository, [s.purpose for s in args.sources])
                )
            ],
            user=f"{args.run_as_user}:{args.run_as_user}",
            # A local repository needs no network at all; an S3 repository needs a route out.
            network_mode="none" if args.repository is None else "bridge",
            **limits(memory_mib=1536, reservation_mib=256, cores=1),
            # Healthy once the scheduler has written the backup script it runs (and `backup-now` runs) and restic
            # starts: a broken image or a failed start shows as unhealthy, not only at the next slot.
            healthcheck=health_check(
                ["CMD-SHELL", f"test -s {render.SCRIPT_FILE} && restic version >/dev/null"],
                interval_s=60,
                timeout_s=10,
                start_period_s=30,
            ),
            labels=[
                {"label": key, "value": value}
                for key, value in {
                    labels.COMPONENT_KEY: labels.BACKUP_COMPONENT,
                    **labels.part_of(),
                    labels.STACK_KEY: args.stack,
                }.items()
            ],
            envs=[*(f"{key}={value}" for key, value in sorted(plain_env.items())), *secret_env],
            volumes=mounts,
            # tmpfs pages count against the memory limit: 512 MiB of cache leave restic 1 GiB.
            **hardened(extra_tmpfs={render.CACHE_DIR: "rw,noexec,nosuid,nodev,size=512m"}),
            # The environment holds the restic password (and S3 keys): state keeps `envs` encrypted.
            opts=pulumi.ResourceOptions(parent=self, additional_secret_outputs=["envs"]),
        )
        self.container_name: pulumi.Output[str] = container.name
        self.register_outputs({"container_name": self.container_name})
