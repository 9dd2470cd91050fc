"""One of the suite's own images, built from images/ by the Docker engine where Pulumi runs (and pushed)."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_docker as docker

from components.render.image_build import DOCKERFILE, IMAGES_DIR, BuildPlan


@dataclass(frozen=True)
class BuiltImageArgs:
    plan: BuildPlan
    """What to build (server, version, content digest)."""
    repository: str
    """Repository of the image: `mcp-suite/<server>` locally, `<images.registry>/<server>` when pushed."""
    push: bool
    """Push to the repository's registry and deploy by the digest the push returns."""
    platform: str
    """`linux/amd64` or `linux/arm64`."""
    source: str | None = None
    """Repository URL for the OCI source label."""
    bases: dict[str, str] | None = None
    """`BUILD_BASE` / `RUNTIME_BASE` overrides (mirrors of the Dockerfile's default bases)."""


class BuiltImage(pulumi.ComponentResource):
    """Builds `images/Dockerfile` for one server; `ref` is what a container or pod runs."""

    def __init__(self, name: str, args: BuiltImageArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mcp-suite:images:BuiltImage", name, None, opts)
        plan = args.plan
        reference = f"{args.repository}:{plan.tag}"
        image = docker.Image(
            f"{name}-build",
            image_name=reference,
            build={
                "context": IMAGES_DIR,
                "dockerfile": DOCKERFILE,
                "args": {**plan.build_args(args.source), **(args.bases or {})},
                "platform": args.platform,
            },
            skip_push=not args.push,
            opts=pulumi.ResourceOptions(parent=self),
        )
        # Locally the tag itself is content-addressed (version plus the digest of every built file), so a changed
        # source changes what the container runs. It is known before the build (derived from the build's URN, so
        # containers still wait for it), which lets a preview and the policy pack see what a container runs. A
        # pushed image runs by the digest the registry returns, known only once pushed.
        self.ref: pulumi.Output[str] = image.repo_digest if args.push else image.urn.apply(lambda _: reference)
        self.register_outputs({"ref": self.ref})
