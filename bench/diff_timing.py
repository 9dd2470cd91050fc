"""`python -m infra diff` timed on a pull-request-sized change to a catalog of 100 services, as the preview
workflow runs it (.github/workflows/preview.yml: staging and prod, Markdown for the comment).

A git repository is made from a copy of the project whose staging and prod stacks take a catalog file of the
project's default services plus generated ones (bench/catalog.py); that is the base commit. The change: one
service's tier, one service's environment and one new service, in the working tree.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bench.catalog import catalog
from bench.engine_cli import project_copy
from infra.settings import PROJECT

STACKS = ("staging", "prod")
CATALOG_FILE = "catalog/services.yaml"
DIFF_TIMEOUT = 600
COUNTS = re.compile(r"(\d+) to add, (\d+) to remove, (\d+) to change")


class DiffTimingError(Exception):
    """The diff did not run or did not find the change; the message has its output."""


@dataclass(frozen=True)
class DiffTiming:
    services: int
    seconds: float
    counts: dict[str, tuple[int, int, int]]
    """Stack -> (added, removed, changed) resources, as the diff reported them."""

    def as_json(self) -> dict[str, Any]:
        return {"services": self.services, "seconds": round(self.seconds, 1), "counts": self.counts}


def git(directory: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.com", *args],
        cwd=directory,
        check=True,
        capture_output=True,
    )


def services_of(directory: Path, size: int) -> dict[str, Any]:
    """The project's default catalog (which staging's and prod's overrides name) plus generated services."""
    defaults: dict[str, Any] = yaml.safe_load((directory / "Pulumi.yaml").read_text())["config"]["services"]["default"]
    generated = catalog(size - len(defaults))
    return {**defaults, **generated}


def prepare(scratch: Path, size: int) -> Path:
    directory = project_copy(scratch).directory
    services = services_of(directory, size)
    (directory / CATALOG_FILE).parent.mkdir(parents=True, exist_ok=True)
    (directory / CATALOG_FILE).write_text(yaml.safe_dump(services, sort_keys=False))
    for stack in STACKS:
        path = directory / f"Pulumi.{stack}.yaml"
        document = yaml.safe_load(path.read_text())
        document["config"][f"{PROJECT}:catalogFile"] = CATALOG_FILE
        path.write_text(yaml.safe_dump(document, sort_keys=False))
    git(directory, "init", "-q")
    # The copy links the checkout's virtualenvs, which are not the project's files.
    (directory / ".git" / "info" / "exclude").write_text(".venv\npolicy/venv\n")
    git(directory, "add", "-A")
    git(directory, "commit", "-q", "-m", "base")
    # The pull request.
    services["svc-0001"]["tier"] = "large"
    services["svc-0002"]["env"]["LOG_LEVEL"] = "debug"
    services["svc-new"] = dict(services["svc-0003"])
    (directory / CATALOG_FILE).write_text(yaml.safe_dump(services, sort_keys=False))
    return directory


def measure(scratch: Path, size: int = 100) -> DiffTiming:
    directory = prepare(scratch, size)
    command = [sys.executable, "-m", "infra", "diff", *(f"--stack={stack}" for stack in STACKS), "--base", "HEAD"]
    started = time.perf_counter()
    result = subprocess.run(
        [*command, "--markdown"], cwd=directory, capture_output=True, text=True, timeout=DIFF_TIMEOUT
    )
    seconds = time.perf_counter() - started
    if result.returncode != 2:  # 2: changes found
        raise DiffTimingError(
            f"python -m infra diff exited {result.returncode}:\n{result.stdout}{result.stderr}"[-4000:]
        )
    counts = {}
    for stack in STACKS:
        section = result.stdout.split(f"### Stack `{stack}`: ", 1)[1]
        found = COUNTS.match(section)
        if found is None:
            raise DiffTimingError(f"no counts for {stack} in:\n{result.stdout[-4000:]}")
        counts[stack] = (int(found.group(1)), int(found.group(2)), int(found.group(3)))
    return DiffTiming(services=size, seconds=seconds, counts=counts)
