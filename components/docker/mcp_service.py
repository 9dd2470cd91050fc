"""One MCP service on local Docker: its pulled (or locally built) image and a hardened container."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_docker as docker

from components.docker.pulled_image import pulled_image
from components.render import docker_container as render
from components.render.bridge import DEV_SOURCE_PATH, container_args
from components.spec import ServiceSpec

WAIT_HEALTHY_SECONDS = 120


@dataclass(frozen=True)
class DockerVolume:
    """A named Docker volume of the suite, by purpose."""

    purpose: str
    volume: docker.Volume


@dataclass(frozen=True)
class McpServiceArgs:
    spec: ServiceSpec
    """The service's declaration."""
    image: pulumi.Input[str]
    """The spec's published image (pulled here: a plain string), or the one the suite built for it (run as built)."""
    container_name: str
    """Docker container name, unique on the host (`mcp-<stack>-<service>`); a service whose containers are replaced
    side by side gets it plus a suffix that changes with each replacement (`mcp-<stack>-<service>-1a2b3c4`)."""
    stack: str
    """Stack name, recorded as a label."""
    internal_network: pulumi.Input[str]
    """Name of the internal network (no route out) the services and the gateway share."""
    egress_network: pulumi.Input[str] | None = None
    """Name of the network with a route out; given only to services that declare `egress`."""
    volumes: list[DockerVolume] = field(default_factory=list)
    """The suite's named volumes, of which the service mounts those its spec names."""
    secret_env: dict[str, pulumi.Output[str]] = field(default_factory=dict)
    """Secret environment values (secret Outputs); keys match `spec.secret_env`."""
    dev_source: str | None = None
    """Absolute path of the spec's `devSource` checkout, mounted for hot reload."""
    public_hosts: Sequence[str] = ()
    """The gateway's host names, which it passes on in `Host`: the bridge answers MCP requests for them."""


class McpService(pulumi.ComponentResource):
    """Image and hardened container of one MCP server."""

    def __init__(self, name: str, args: McpServiceArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mcp-suite:docker:McpService", name, None, opts)
        spec = args.spec
        image: pulumi.Input[str] = args.image
        if isinstance(args.image, str) and spec.build is None:
            image = pulled_image(f"{name}-image", args.image, pulumi.ResourceOptions(parent=self))
        by_purpose = {volume.purpose: volume.volume for volume in args.volumes}
        secret_entries = [pulumi.Output.concat(key, "=", args.secret_env[key]) for key in spec.secret_env]
        networks: list[docker.ContainerNetworksAdvancedArgsDict] = [
            {"name": args.internal_network, "aliases": [spec.name]}
        ]
        if args.egress_network is not None:
            networks.append({"name": args.egress_network})
        mounts: list[docker.ContainerVolumeArgsDict] = [
            {
                "volume_name": by_purpose[mount.volume].name,
                "container_path": mount.mount_path,
                "read_only": mount.read_only,
            }
            for mount in spec.volumes
        ]
        if args.dev_source is not None:
            mounts.append({"host_path": args.dev_source, "container_path": DEV_SOURCE_PATH, "read_only": True})
        # A service replaced side by side runs under a name Pulumi generates anew for each replacement, so the new
        # container can start (and be awaited healthy) next to the old one; the gateway reaches either by the
        # network alias, and the old one drains when it is stopped. Each form aliases the other's resource name, so
        # a service that changes form is replaced, not deleted and created unrelated.
        side_by_side = render.replaced_side_by_side(spec)
        fixed_name = f"{name}-container"
        resource_name, other_name = (
            (args.container_name, fixed_name) if side_by_side else (fixed_name, args.container_name)
        )
        container = docker.Container(
            resource_name,
            name=None if side_by_side else args.container_name,
            image=image,
            command=container_args(spec, args.public_hosts),
            user=f"{spec.run_as_user}:{spec.run_as_user}",
            **render.service_limits(spec),
            healthcheck=render.healthcheck(spec),
            labels=[{"label": key, "value": value} for key, value in sorted(render.labels(spec, args.stack).items())],
            envs=[*render.plain_env(spec), *secret_entries],
            # No published port: the gateway is the single entry.
            networks_advanced=networks,
            volumes=mounts,
            wait=True,
            # The provider waits for "healthy" until this runs out, however early the container turns unhealthy: it
            # bounds how long an update with a broken image takes to fail. Services are healthy within seconds.
            wait_timeout=WAIT_HEALTHY_SECONDS,
            destroy_grace_seconds=render.STOP_GRACE_SECONDS,
            **render.hardened(),
            opts=pulumi.ResourceOptions(
                parent=self,
                # The provider always stops the old container first; side by side, the new one starts first.
                delete_before_replace=False if side_by_side else None,
                aliases=[pulumi.Alias(name=other_name)],
                # The env then holds secret values: keep it encrypted in state whatever the provider reports back.
                additional_secret_outputs=["envs"] if spec.secret_env else None,
            ),
        )
        self.container_name: pulumi.Output[str] = container.name
        self.endpoint: pulumi.Output[str] = pulumi.Output.from_input(f"http://{spec.name}:{spec.port}{spec.mcp_path}")
        """URL of the MCP endpoint on the internal network (from outside, go through the gateway)."""
        self.register_outputs({"endpoint": self.endpoint, "container_name": self.container_name})
