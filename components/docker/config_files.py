"""Generated files for a container whose root filesystem is read-only: written into a volume it mounts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_docker as docker


@dataclass(frozen=True)
class ConfigFiles:
    volume: docker.Volume
    """The volume holding the files; the reading container mounts it at the same path."""
    writer: docker.Container
    """The container that received the files; the reader is replaced with it (`replace_with`), so that a changed
    file restarts the reader on it."""


def config_files(
    name: str,
    *,
    volume_name: str,
    image: pulumi.Input[str],
    mount_path: str,
    uploads: Sequence[docker.ContainerUploadArgsDict],
    labels: Sequence[docker.ContainerLabelArgsDict],
    parent: pulumi.Resource,
) -> ConfigFiles:
    """A volume with `uploads` in it, written by a container that is created but never started.

    Docker refuses every upload into a container whose root filesystem is read-only, even one whose target path is
    on a volume (the provider extracts its uploads at `/`), so the containers that read the files cannot receive
    them. The writer has a writable root and no process; it shares the volume with the reader."""
    volume = docker.Volume(
        f"{name}-config",
        name=volume_name,
        labels=[{"label": label["label"], "value": label["value"]} for label in labels],
        opts=pulumi.ResourceOptions(parent=parent),
    )
    writer = docker.Container(
        f"{name}-config-writer",
        name=volume_name,
        image=image,
        start=False,
        must_run=False,
        labels=list(labels),
        volumes=[{"volume_name": volume.name, "container_path": mount_path}],
        uploads=list(uploads),
        # A fixed name: a replacement must remove the old writer before creating the new one.
        opts=pulumi.ResourceOptions(parent=parent, delete_before_replace=True),
    )
    return ConfigFiles(volume=volume, writer=writer)
