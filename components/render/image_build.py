"""What goes into building one of the suite's images (images/Dockerfile): pure functions of the files there.

The tag is the server's version plus a digest of every file that enters the build, so a change to the bridge or a
lockfile makes a new tag (and a new container or rollout), and an unchanged tree builds the same tag again.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from components.spec import IMAGE_SERVERS_DIR

IMAGES_DIR = "images"
"""The build context, relative to the project directory (where Pulumi runs the program), so renders made in
different checkouts agree."""
PROJECT_DIR = Path(__file__).resolve().parents[2]
DOCKERFILE = f"{IMAGES_DIR}/Dockerfile"
SHARED_FILES = ("Dockerfile", ".dockerignore", "bridge/package.json", "bridge/package-lock.json")


class ImageBuildError(Exception):
    """A server folder of images/servers/ is missing or malformed; the message names it."""


@dataclass(frozen=True)
class BuildPlan:
    server: str
    """Folder of images/servers/."""
    package: str
    """The npm package the folder installs."""
    version: str
    """Its exact version: the image's version label and the start of its tag."""
    digest: str
    """sha256 of every file that enters the build (names and contents)."""

    @property
    def tag(self) -> str:
        return f"{self.version}-{self.digest[:12]}"

    def build_args(self, source: str | None) -> dict[str, str]:
        """The Dockerfile's arguments, OCI labels included (`REVISION` is the content digest)."""
        return {
            "SERVER": self.server,
            "VERSION": self.version,
            "REVISION": self.digest,
            "SOURCE": source or "",
        }


def known_servers(project_dir: Path = PROJECT_DIR) -> list[str]:
    root = project_dir / IMAGE_SERVERS_DIR
    return sorted(entry.name for entry in root.iterdir() if (entry / "package.json").is_file()) if root.is_dir() else []


@cache
def build_plan(server: str, project_dir: Path = PROJECT_DIR) -> BuildPlan:
    """The plan for images/servers/<server>; raises ImageBuildError naming what is wrong."""
    folder = project_dir / IMAGE_SERVERS_DIR / server
    manifest_path = folder / "package.json"
    if not manifest_path.is_file() or not (folder / "package-lock.json").is_file():
        known = ", ".join(known_servers(project_dir)) or "none"
        raise ImageBuildError(
            f"{IMAGE_SERVERS_DIR}/{server} needs a package.json and a package-lock.json (npm install there "
            f"writes the lock); known servers: {known}"
        )
    try:
        dependencies = json.loads(manifest_path.read_text(encoding="utf-8")).get("dependencies", {})
    except (json.JSONDecodeError, AttributeError):
        raise ImageBuildError(f"{IMAGE_SERVERS_DIR}/{server}/package.json is not a JSON object") from None
    if not isinstance(dependencies, dict) or len(dependencies) != 1:
        raise ImageBuildError(
            f"{IMAGE_SERVERS_DIR}/{server}/package.json must depend on exactly one server package, "
            f"not {sorted(dependencies)}"
        )
    ((package, version),) = dependencies.items()
    return BuildPlan(server=server, package=package, version=version, digest=_context_digest(project_dir, server))


def _context_digest(project_dir: Path, server: str) -> str:
    images = project_dir / IMAGES_DIR
    files = [images / name for name in SHARED_FILES]
    files += sorted((images / "bridge" / "src").glob("*.js"))
    files += [images / "servers" / server / "package.json", images / "servers" / server / "package-lock.json"]
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.relative_to(images).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()
