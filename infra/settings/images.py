"""The `images` section: where the images the suite builds go, and the checks that join it with the catalog."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field

from components.render.image_build import PROJECT_DIR, ImageBuildError, build_plan
from components.spec import REPOSITORY, PinnedImage, ServiceSpec, SpecModel
from infra.settings.problems import Problem


class ImagesSettings(SpecModel):
    """Images the suite builds from images/ (services with `build`)."""

    registry: Annotated[str, Field(pattern=REPOSITORY.pattern)] | None = None
    """Repository prefix the built images are pushed to, e.g. `ghcr.io/acme/mcp-suite` (one repository per
    server below it); required on targets that pull from a registry. Credentials come from `docker login`."""
    platform: Literal["linux/amd64", "linux/arm64"] = "linux/amd64"
    """Platform the images are built for: the nodes' architecture."""
    source: str | None = None
    """URL of this repository, written as the images' `org.opencontainers.image.source` label."""
    build_base: PinnedImage | None = None
    """Image of the build stage instead of the Dockerfile's default (a mirror of node:20.19.5-bookworm-slim)."""
    runtime_base: PinnedImage | None = None
    """Image of the runtime stage instead of the Dockerfile's default (a mirror of distroless nodejs20)."""


def image_build_problems(
    specs: list[ServiceSpec], images: ImagesSettings, target: str, pushes_images: bool
) -> list[Problem]:
    """Each built service's server folder exists and names one server package; a target that pulls from a
    registry has one to push to."""
    problems: list[Problem] = []
    built = [spec for spec in specs if spec.build is not None]
    for spec in built:
        server = spec.build.server if spec.build is not None else ""
        try:
            build_plan(server)
        except ImageBuildError as error:
            problems.append(Problem(path=f"services.{spec.name}.build.server", message=str(error)))
    problems += _dev_source_problems(specs, target, pushes_images)
    if built and pushes_images and images.registry is None:
        problems.append(
            Problem(
                path="images.registry",
                message=f"required on {target} stacks, which pull the images the suite builds ("
                f"{', '.join(spec.name for spec in built)}) from a registry: e.g. `pulumi config set --path "
                "images.registry ghcr.io/<org>/mcp-suite`",
            )
        )
    return problems


def dev_source_path(value: str) -> Path:
    """A `devSource` as the absolute path the Docker engine mounts (relative ones start at the project)."""
    return (PROJECT_DIR / value).resolve()


def _dev_source_problems(specs: list[ServiceSpec], target: str, pushes_images: bool) -> list[Problem]:
    problems: list[Problem] = []
    for spec in specs:
        if spec.dev_source is None:
            continue
        path = f"services.{spec.name}.devSource"
        if pushes_images:
            problems.append(
                Problem(
                    path=path,
                    message=f"hot reload is for the dev stack (docker target) only, not {target}: remove it here "
                    "(set it in Pulumi.dev.yaml under serviceOverrides)",
                )
            )
        elif not (dev_source_path(spec.dev_source) / "package.json").is_file():
            problems.append(
                Problem(
                    path=path,
                    message=f"{dev_source_path(spec.dev_source)} has no package.json; give the folder of a checkout "
                    "of the server package, with `npm install` run in it",
                )
            )
    return problems
