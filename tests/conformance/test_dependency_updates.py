"""Renovate keeps every pin current: its config is valid, it finds every image the stacks deploy, and the locks
move with the direct pins."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from infra.stack_files import PROJECT_DIR
from tests.helpers.stacks import STACKS, rendered
from tests.helpers.tools import require_tool

RENOVATE = json.loads((PROJECT_DIR / "renovate.json").read_text())
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)$")


def python_regex(renovate_pattern: str) -> re.Pattern[str]:
    """A Renovate (JavaScript) pattern as a Python one: `/.../` delimiters dropped, `(?<name>` groups renamed."""
    if renovate_pattern.startswith("/") and renovate_pattern.endswith("/"):
        renovate_pattern = renovate_pattern[1:-1]
    return re.compile(renovate_pattern.replace("(?<", "(?P<"))


def tracked_images() -> set[str]:
    """Every `name:tag[@digest]` the image managers find in the files they cover."""
    found = set()
    project_files = [path for path in PROJECT_DIR.rglob("*") if path.is_file() and ".venv" not in path.parts]
    for manager in RENOVATE["customManagers"]:
        assert manager["datasourceTemplate"] == "docker"
        patterns = [python_regex(pattern) for pattern in manager["managerFilePatterns"]]
        matchers = [python_regex(pattern) for pattern in manager["matchStrings"]]
        for path in project_files:
            if any(pattern.search(path.relative_to(PROJECT_DIR).as_posix()) for pattern in patterns):
                for matcher in matchers:
                    for match in matcher.finditer(path.read_text()):
                        digest = match.group("currentDigest")
                        found.add(f"{match['depName']}:{match['currentValue']}" + (f"@{digest}" if digest else ""))
    return found


def deployed_images(value: Any, found: set[str]) -> set[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            # A bare `sha256:` id is a Docker container's image taken from its RemoteImage, whose name is checked.
            if key == "image" and isinstance(item, str) and not item.startswith("sha256:"):
                found.add(item)
            deployed_images(item, found)
    elif isinstance(value, list):
        for item in value:
            deployed_images(item, found)
    return found


def test_renovate_config_is_valid_against_renovates_schema() -> None:
    result = subprocess.run(
        [require_tool("check-jsonschema"), "--builtin-schema", "vendor.renovate", "renovate.json"],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert set(RENOVATE["enabledManagers"]) == {"pip_requirements", "npm", "github-actions", "custom.regex"}


@pytest.mark.parametrize("stack", STACKS)
def test_every_image_a_stack_deploys_is_tracked_by_renovate(stack: str) -> None:
    images: set[str] = set()
    built: set[str] = set()
    for entry in rendered(stack).registrations:
        deployed_images(entry.inputs, images)
        if entry.type == "docker:index/remoteImage:RemoteImage":
            images.add(entry.inputs["name"])
        if entry.type == "docker:index/image:Image":
            built.add(entry.inputs["imageName"].rsplit(":", 1)[0])
    # The suite's own images are tracked through what they are built from (the next two tests).
    images = {image for image in images if image.split("@")[0].rsplit(":", 1)[0] not in built}
    assert images
    assert images <= tracked_images(), f"images no Renovate manager finds: {sorted(images - tracked_images())}"


def test_the_base_images_of_the_suites_dockerfile_are_tracked() -> None:
    bases = re.findall(r"^ARG [A-Z_]+_BASE=(\S+)$", (PROJECT_DIR / "images" / "Dockerfile").read_text(), re.M)
    assert bases == ["docker.io/library/node:20.19.5-bookworm-slim", "gcr.io/distroless/nodejs20-debian12:nonroot"]
    assert set(bases) <= tracked_images()


def test_a_server_update_is_one_package_json_that_the_catalog_follows() -> None:
    # Renovate's npm manager moves images/servers/<server>/package.json (and its lock); nothing else names the
    # version: the catalog's bridge command is derived from that file.
    assert "npm" in RENOVATE["enabledManagers"]
    assert not any("images" in path for path in RENOVATE.get("ignorePaths", []))
    catalog = (PROJECT_DIR / "Pulumi.yaml").read_text()
    for path in (PROJECT_DIR / "images" / "servers").glob("*/package.json"):
        for package, version in json.loads(path.read_text())["dependencies"].items():
            assert f"{package}@{version}" not in catalog, f"Pulumi.yaml repeats {package}@{version}"


def test_the_image_managers_see_digests_and_ignore_other_strings() -> None:
    (yaml_manager, python_manager) = (python_regex(m["matchStrings"][0]) for m in RENOVATE["customManagers"][:2])
    digest = "sha256:" + "0" * 64
    match = yaml_manager.search(f"    image: docker.io/supercorp/supergateway:3.4.3@{digest}\n")
    assert match is not None
    assert (match["depName"], match["currentValue"], match["currentDigest"]) == (
        "docker.io/supercorp/supergateway",
        "3.4.3",
        digest,
    )
    assert python_manager.search('KIND = "kubernetes:apps/v1:Deployment"') is None
    assert python_manager.search('URL = "http://localhost:8080"') is None


@pytest.mark.parametrize(
    ("direct", "lock"), [("requirements.in", "requirements.txt"), ("requirements-dev.in", "requirements-dev.txt")]
)
def test_every_direct_pin_is_in_its_lock_at_the_same_version(direct: str, lock: str) -> None:
    """A dependency update that changes one file and not the other fails here instead of drifting."""

    def pins(path: Path) -> dict[str, str]:
        lines = (line.split("#")[0].strip() for line in path.read_text().splitlines())
        return {
            match[1].lower().replace("_", "-"): match[2] for line in lines if (match := PIN.match(line)) is not None
        }

    direct_pins, locked = pins(PROJECT_DIR / direct), pins(PROJECT_DIR / lock)
    assert direct_pins
    assert {name: locked.get(name) for name in direct_pins} == direct_pins
