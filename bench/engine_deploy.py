"""`pulumi up` on the real Docker engine, timed: from empty to every service healthy, a no-op, a release of one
stateless and of one stateful service's image while a client keeps calling it, and the rollback of each.

It deploys a copy of the project with scripts/dev-up, as a newcomer does, on a file backend of its own, and
destroys it at the end. A release of one service's image is a changed `images/servers/<server>/package.json`
(a field npm ignores): the digest of that folder changes that image's tag alone, so one image is rebuilt and one
container replaced. The rollback is the next `up` on the previous files, which finds the previous image still
built. Probes (bench/probes.py) count the calls that got no answer through the gateway meanwhile.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.engine_cli import Project, Run, project_copy
from bench.probes import Probe

UP_TIMEOUT = 2400
STATELESS, STATEFUL = "everything", "memory"
"""Both in the default catalog: one replaced side by side, one stopped before its successor (one writer)."""


class DeployError(Exception):
    """A deployment step failed; the message has the step and the engine's output."""


@dataclass
class Step:
    """One timed `up`, with what the probes saw and which services' containers it replaced."""

    name: str
    seconds: float
    replaced: list[str] = field(default_factory=list)
    probes: dict[str, dict[str, Any]] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"step": self.name, "seconds": round(self.seconds, 1), "replaced": self.replaced, "probes": self.probes}


def containers(stack: str) -> dict[str, str]:
    """Service name -> id of its running container(s) in the stack, by the labels the program sets."""
    listing = subprocess.run(
        [
            "docker",
            "ps",
            "--filter",
            f"label=mcp-suite/stack={stack}",
            "--filter",
            "label=app.kubernetes.io/component=mcp-server",
            "--format",
            '{{.Label "app.kubernetes.io/name"}} {{.ID}}',
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\n")
    found: dict[str, list[str]] = {}
    for line in filter(None, listing):
        service, container = line.split()
        found.setdefault(service, []).append(container)
    return {service: ",".join(sorted(ids)) for service, ids in found.items()}


class Deployment:
    def __init__(self, scratch: Path, stack: str) -> None:
        self.stack = stack
        self.project: Project = project_copy(scratch)
        self.ca_file = scratch / "gateway.pem"

    def pulumi(self, *args: str) -> Run:
        result = self.project.pulumi(*args, "--stack", self.stack, timeout=UP_TIMEOUT, check=False)
        if result.returncode != 0:
            raise DeployError(result.explain())
        return result

    def up_from_empty(self) -> Step:
        result = self.project.script(
            "scripts/dev-up",
            "--stack",
            self.stack,
            timeout=UP_TIMEOUT,
            env={"MCP_SUITE_STATE_DIR": str(self.project.state)},
        )
        if result.returncode != 0:
            raise DeployError(f"scripts/dev-up --stack {self.stack} failed:\n{result.output[-6000:]}")
        outputs = json.loads(self.pulumi("stack", "output", "--json").stdout)
        self.ca_file.write_text(outputs["gatewayCertificate"])
        return Step("up from empty to every service healthy (scripts/dev-up)", result.wall_seconds)

    def up(self, name: str, *extra: str) -> Step:
        before = containers(self.stack)
        with self.probing() as probes:
            result = self.pulumi("up", "--yes", "--policy-pack", "policy", *extra)
        after = containers(self.stack)
        replaced = sorted(service for service in after if after[service] != before.get(service))
        return Step(name, result.wall_seconds, replaced, {probe.path: probe_figures(probe) for probe in probes})

    def release(self, server: str, note: str | None) -> None:
        release_server(self.project.directory, server, note)

    @contextmanager
    def probing(self) -> Iterator[list[Probe]]:
        probes = [
            Probe(f"/{STATELESS}/mcp", self.ca_file, sessions=False).start(),
            Probe(f"/{STATEFUL}/mcp", self.ca_file, sessions=True).start(),
        ]
        try:
            yield probes
        finally:
            for probe in probes:
                probe.stop()

    def destroy(self) -> None:
        self.project.pulumi("destroy", "--yes", "--stack", self.stack, timeout=UP_TIMEOUT, check=False)


def release_server(project: Path, server: str, note: str | None) -> None:
    """A new release of one server's image in a copy of the project (`note` set: a `package.json` field npm ignores,
    so only that server's image changes), or back to the committed files (`note` None)."""
    path = project / "images" / "servers" / server / "package.json"
    manifest = json.loads(path.read_text())
    if note is None:
        manifest.pop("description", None)
    else:
        manifest["description"] = note
    path.write_text(json.dumps(manifest, indent=2) + "\n")


def probe_figures(probe: Probe) -> dict[str, Any]:
    return {
        "answered": probe.answered,
        "unanswered": len(probe.failures),
        "downtime_seconds": round(probe.downtime_seconds, 1),
    }


def measure(scratch: Path, stack: str) -> Iterator[Step]:
    """Every step in order, each as it ends; the deployment is destroyed however the steps end."""
    deployment = Deployment(scratch, stack)
    try:
        yield deployment.up_from_empty()
        yield deployment.up("no-op up", "--expect-no-changes")
        for server, kind in ((STATELESS, "stateless"), (STATEFUL, "stateful")):
            deployment.release(server, f"bench release of {server}")
            yield deployment.up(f"image change of one {kind} service ({server}), until healthy")
            deployment.release(server, None)
            yield deployment.up(f"rollback of {server} to the previous image, until healthy")
        yield deployment.up("no-op up after the rollbacks", "--expect-no-changes")
    finally:
        deployment.destroy()
