"""The image each service runs: its published `image`, or the one the suite builds for it (`build`)."""

from __future__ import annotations

import pulumi

from components.built_image import BuiltImage, BuiltImageArgs
from components.render.image_build import build_plan
from components.spec import ServiceSpec
from infra.settings import Settings
from infra.settings.targets import TARGETS

LOCAL_REPOSITORY = "mcp-suite"


def service_images(settings: Settings, opts: pulumi.ResourceOptions | None = None) -> dict[str, pulumi.Input[str]]:
    """Service name -> image reference; one build per server folder, shared by the services that use it. The
    builds are exported as `images` (server -> reference).

    `opts` carries the Docker provider of a stack that has one (dev); elsewhere the default provider builds with
    the engine of the machine Pulumi runs on."""
    images = settings.images
    push = TARGETS[settings.target].pushes_images
    bases = {
        key: value for key, value in (("BUILD_BASE", images.build_base), ("RUNTIME_BASE", images.runtime_base)) if value
    }
    builds: dict[str, BuiltImage] = {}
    refs: dict[str, pulumi.Input[str]] = {}
    for spec in settings.services:
        if spec.build is None:
            refs[spec.name] = _published(spec)
            continue
        server = spec.build.server
        if server not in builds:
            prefix = images.registry if push and images.registry is not None else LOCAL_REPOSITORY
            builds[server] = BuiltImage(
                f"image-{server}",
                BuiltImageArgs(
                    plan=build_plan(server),
                    repository=f"{prefix}/{server}",
                    push=push,
                    platform=images.platform,
                    source=images.source,
                    bases=bases or None,
                ),
                opts=opts,
            )
        refs[spec.name] = builds[server].ref
    # What the deploy workflow signs and verifies before the workloads run it (scripts/sign-images).
    pulumi.export("images", {server: build.ref for server, build in sorted(builds.items())})
    return refs


def _published(spec: ServiceSpec) -> str:
    return spec.image or ""
