"""The suite's named Docker volumes, one per purpose, owned by the non-root user that writes them."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_docker as docker

from components.docker.mcp_service import DockerVolume
from components.render import labels
from components.render.docker_container import limits, locked_down

OWNERSHIP_MOUNT_ROOT = "/volumes"
BACKUP_REPOSITORY = "backup-repository"
"""Support volume holding the local restic repository (when no S3 repository is configured)."""
BACKUP_STATUS = "backup-status"
"""Support volume holding the backups' textfile success metrics."""


def volume_name(name_prefix: str, purpose: str) -> str:
    return f"{name_prefix}-{purpose}"


@dataclass(frozen=True)
class StorageVolumesArgs:
    name_prefix: str
    """Prefix of the Docker volume names (`mcp-<stack>`)."""
    owners: dict[str, int]
    """Volume purpose (memory-graph, ..., or a support volume such as backup-repository) -> UID and GID that
    owns the volume's root directory. One volume per entry, named `<prefix>-<purpose>`."""
    protect: bool
    """Protect the volumes and keep them on delete, so no destroy or rename removes data."""
    stack: str
    """Stack name, recorded as a label."""
    ownership_image: pulumi.Input[str]
    """Image with busybox `chown`, run once to hand each new volume's root to its owner."""


class StorageVolumes(pulumi.ComponentResource):
    """Labelled named volumes: memory-graph, filesystem, logs, snapshots, task-queues (and backup support)."""

    def __init__(self, name: str, args: StorageVolumesArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mcp-suite:docker:StorageVolumes", name, None, opts)
        self.volumes: list[DockerVolume] = [
            DockerVolume(
                purpose=purpose,
                volume=docker.Volume(
                    f"{name}-{purpose}",
                    name=volume_name(args.name_prefix, purpose),
                    labels=[
                        {"label": key, "value": value}
                        for key, value in {
                            **labels.part_of(),
                            labels.STACK_KEY: args.stack,
                            labels.VOLUME_PURPOSE_KEY: purpose,
                        }.items()
                    ],
                    opts=pulumi.ResourceOptions(parent=self, protect=args.protect, retain_on_delete=args.protect),
                ),
            )
            for purpose in args.owners
        ]
        # Docker creates a volume's root as root:root 0755, so a non-root service could not write to it.
        # A one-off container with only CAP_CHOWN hands each root directory (not its contents) to its owner.
        chown = " && ".join(
            f"chown {uid}:{uid} {OWNERSHIP_MOUNT_ROOT}/{purpose}" for purpose, uid in args.owners.items()
        )
        docker.Container(
            f"{name}-ownership",
            name=f"{args.name_prefix}-volume-ownership",
            image=args.ownership_image,
            entrypoints=["/bin/sh", "-c"],
            command=[chown],
            user="0:0",
            # Unlike the long-running containers: CHOWN added back, and neither tmpfs, restart policy nor log
            # bounds, since it writes nothing but ownership and exits after one short run.
            **locked_down(added_capabilities=["CHOWN"]),
            network_mode="none",
            must_run=False,
            attach=True,
            # chown of a few fresh volumes: small bounds are plenty.
            **limits(memory_mib=64, reservation_mib=16, cores=0.5),
            labels=[
                {"label": labels.STACK_KEY, "value": args.stack},
                # Root with CHOWN only, no network, runs once: the policy pack's named `volume-ownership` allowance.
                {"label": "mcp-suite/policy-allowance", "value": "volume-ownership"},
            ],
            volumes=[
                {"volume_name": entry.volume.name, "container_path": f"{OWNERSHIP_MOUNT_ROOT}/{entry.purpose}"}
                for entry in self.volumes
            ],
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.names: pulumi.Output[list[str]] = pulumi.Output.all(*[entry.volume.name for entry in self.volumes])
        self.register_outputs({"names": self.names})
