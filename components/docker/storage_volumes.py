"""The suite's named Docker volumes, one per purpose that some service mounts."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_docker as docker

from components.docker.mcp_service import DockerVolume
from components.spec import VolumePurpose


@dataclass(frozen=True)
class StorageVolumesArgs:
    name_prefix: str
    """Prefix of the Docker volume names (`mcp-<stack>`)."""
    purposes: tuple[VolumePurpose, ...]
    """Purposes to create a volume for."""
    protect: bool
    """Protect the volumes and keep them on delete, so no destroy or rename removes data."""
    stack: str
    """Stack name, recorded as a label."""


class StorageVolumes(pulumi.ComponentResource):
    """Labelled named volumes: memory-graph, filesystem, logs, snapshots, task-queues."""

    volumes: list[DockerVolume]
    names: pulumi.Output[list[str]]

    def __init__(self, name: str, args: StorageVolumesArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mcp-suite:docker:StorageVolumes", name, None, opts)
        data_opts = pulumi.ResourceOptions(parent=self, protect=args.protect, retain_on_delete=args.protect)
        self.volumes = [
            DockerVolume(
                purpose=purpose,
                volume=docker.Volume(
                    f"{name}-{purpose}",
                    name=f"{args.name_prefix}-{purpose}",
                    labels=[
                        {"label": "app.kubernetes.io/part-of", "value": "mcp-suite"},
                        {"label": "mcp-suite/stack", "value": args.stack},
                        {"label": "mcp-suite/volume-purpose", "value": purpose},
                    ],
                    opts=data_opts,
                ),
            )
            for purpose in args.purposes
        ]
        self.names = pulumi.Output.all(*[entry.volume.name for entry in self.volumes])
        self.register_outputs({"names": self.names})
