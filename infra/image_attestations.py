"""What the suite signs about each image it pushes: an SBOM of every package in it, and where it came from.

`python -m infra image-attestations --server <s> --image <repository@sha256:...> --out <dir>` writes:
- `sbom.cdx.json`, CycloneDX 1.5: the bridge's and the server's npm packages, read by `npm sbom` from the same
  lockfiles the image is built from (dev dependencies left out, as the Dockerfile leaves them out);
- `provenance.json`, an SLSA provenance v1 predicate: the Dockerfile, the build arguments, the source revision
  and the builder.
scripts/sign-images attests both with cosign; scripts/verify-images checks them (docs/images.md, "Signing").
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from components.render.image_build import DOCKERFILE, IMAGES_DIR, build_plan
from components.spec import IMAGE_SERVERS_DIR

BUILD_TYPE = "urn:mcp-suite:images:dockerfile:v1"
"""Names this project's build recipe (images/Dockerfile with its arguments) for SLSA consumers."""


class AttestationError(Exception):
    """An SBOM or provenance cannot be made; the message says why."""


def image_sbom(project_dir: Path, server: str) -> dict[str, Any]:
    """One CycloneDX document for the image: the bridge's packages and the server folder's, merged."""
    plan = build_plan(server, project_dir)
    parts = [_npm_sbom(project_dir / IMAGES_DIR / "bridge"), _npm_sbom(project_dir / IMAGE_SERVERS_DIR / server)]
    components: dict[str, dict[str, Any]] = {}
    dependencies: dict[str, dict[str, Any]] = {}
    for part in parts:
        for component in part.get("components", []):
            components.setdefault(component["bom-ref"], component)
        for dependency in part.get("dependencies", []):
            dependencies.setdefault(dependency["ref"], dependency)
    return {
        "bomFormat": "CycloneDX",
        "specVersion": parts[1]["specVersion"],
        "version": 1,
        "metadata": {
            "component": {
                "type": "container",
                "bom-ref": f"mcp-suite-{server}",
                "name": f"mcp-suite-{server}",
                "version": plan.version,
                "properties": [{"name": "mcp-suite:content-digest", "value": plan.digest}],
            }
        },
        "components": sorted(components.values(), key=lambda component: component["bom-ref"]),
        "dependencies": sorted(dependencies.values(), key=lambda dependency: dependency["ref"]),
    }


def image_provenance(
    project_dir: Path, server: str, image: str, *, source_uri: str, revision: str, builder_id: str
) -> dict[str, Any]:
    """An SLSA provenance v1 predicate for `image` (repository@sha256:...)."""
    plan = build_plan(server, project_dir)
    if "@sha256:" not in image:
        raise AttestationError(f"'{image}' is not pinned by digest; attest the repository@sha256:... that was pushed")
    return {
        "buildDefinition": {
            "buildType": BUILD_TYPE,
            "externalParameters": {
                "dockerfile": DOCKERFILE,
                "context": IMAGES_DIR,
                "buildArgs": plan.build_args(source_uri),
                "image": image,
            },
            "resolvedDependencies": [{"uri": f"git+{source_uri}", "digest": {"gitCommit": revision}}],
        },
        "runDetails": {"builder": {"id": builder_id}, "metadata": {"invocationId": builder_id}},
    }


def _npm_sbom(folder: Path) -> dict[str, Any]:
    try:
        result = _run_npm_sbom(folder)
    except FileNotFoundError:
        raise AttestationError("npm is not installed; the SBOM is read with `npm sbom`") from None
    if result.returncode != 0:
        raise AttestationError(f"`npm sbom` failed in {folder}:\n{result.stderr.strip()}")
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def _run_npm_sbom(folder: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["npm", "sbom", "--package-lock-only", "--omit", "dev", "--sbom-format", "cyclonedx"],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
