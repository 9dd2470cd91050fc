"""`pulumi preview` at scale under the real engine: the program against its floor, per catalog size.

Two copies of the project, each with its own file backend: the program's, with one stack per size whose catalog is
a generated file (`catalogFile`), and the floor's, whose `__main__.py` registers the program's custom resources
with the same inputs and options straight through the provider SDK classes (bench/engine_floor.py). The floor's
records are what the program registers under Pulumi's mocks for the same config. Both preview an empty stack: every
resource is to create, as on a new stack or a pull request that adds services.

A third side, the floor with the program's components (bench/floor.py), separates what the program's shape costs
from what its own code costs. The sides take turns, in reverse order every other round. A sample is one whole
`pulumi preview`: its wall time, the CPU time of every process it started, and that CPU time per kind of process
(bench/process_cpu.py).
"""

from __future__ import annotations

import json
import re
import statistics
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bench.catalog import catalog, secret_config, secrets, stack_values
from bench.engine_cli import Project, Run, project_copy
from bench.engine_floor import MAIN, RECORDS_ENV, WITH_COMPONENTS_ENV
from bench.floor import component_records, custom_records
from infra.mock_runtime import Evaluation, evaluate
from infra.program import run
from infra.settings import PROJECT
from infra.stack_files import PROJECT_DIR

BASE_STACK = "dev"
"""The stack whose config the generated stacks take: the docker target, as a newcomer deploys it."""
CATALOG_FILE = "bench-catalog-{size}.yaml"
PREVIEW_TIMEOUT = 900
CREATES = re.compile(r"\+ (\d+) to create")
MODES: dict[str, dict[str, str]] = {
    # A preview persists nothing, yet by default the CLI serializes and verifies the whole snapshot after every
    # step and then discards it; the preview workflow turns that off (.github/workflows/preview.yml).
    "workflow": {"PULUMI_SKIP_CHECKPOINTS": "true"},
    "cli-default": {"PULUMI_SKIP_CHECKPOINTS": "false"},
}
"""How previews are run: as the project's preview workflow runs them, and with the CLI's defaults."""
SHAPED_FLOOR = "floor+components"
SIDES = ("program", "floor", SHAPED_FLOOR)
"""The program; its custom resources alone (the floor); and those under the program's components, as bare
components: the program's shape without its settings, renderers and Outputs."""


class PreviewError(Exception):
    """A preview failed or the two sides did not preview what they should; the message says which."""


@dataclass
class SizeResult:
    size: int
    mode: str
    customs: int
    components: int
    rounds: int = 0
    wall: dict[str, list[float]] = field(default_factory=lambda: {side: [] for side in SIDES})
    cpu: dict[str, list[float]] = field(default_factory=lambda: {side: [] for side in SIDES})
    roles: dict[str, list[dict[str, float]]] = field(default_factory=lambda: {side: [] for side in SIDES})
    policy_pack: Run | None = None

    def ratio(self, measure: str, floor: str = "floor") -> float:
        """Median of the rounds' program/`floor` ratios of `measure` (wall or cpu)."""
        samples = self.wall if measure == "wall" else self.cpu
        return statistics.median(p / f for p, f in zip(samples["program"], samples[floor], strict=True))

    def median(self, measure: str, side: str) -> float:
        return statistics.median((self.wall if measure == "wall" else self.cpu)[side])

    def median_roles(self, side: str) -> dict[str, float]:
        names = {name for sample in self.roles[side] for name in sample}
        return {name: statistics.median(sample.get(name, 0.0) for sample in self.roles[side]) for name in sorted(names)}

    def as_json(self) -> dict[str, Any]:
        return {
            "services": self.size,
            "mode": self.mode,
            "custom_resources": self.customs,
            "components": self.components,
            "rounds": self.rounds,
            "wall_seconds": {side: self.median("wall", side) for side in self.wall},
            "cpu_seconds": {side: self.median("cpu", side) for side in self.cpu},
            "ratio_wall": self.ratio("wall"),
            "ratio_cpu": self.ratio("cpu"),
            "ratio_wall_to_shape": self.ratio("wall", SHAPED_FLOOR),
            "ratio_cpu_to_shape": self.ratio("cpu", SHAPED_FLOOR),
            "cpu_by_role": {side: self.median_roles(side) for side in self.roles},
            "policy_pack": None
            if self.policy_pack is None
            else {"wall_seconds": self.policy_pack.wall_seconds, "cpu_seconds": self.policy_pack.cpu_seconds},
        }


class Sides:
    """The program's project copy and the floors' (one copy, both floors) under `scratch`."""

    def __init__(self, scratch: Path) -> None:
        # The scripts that pass the pack prepare its virtualenv; the CLI does not, and hangs without it.
        subprocess.run([str(PROJECT_DIR / "scripts" / "venv"), "policy"], check=True, capture_output=True, timeout=900)
        self.program = project_copy(scratch / "program")
        self.floor = project_copy(scratch / "floor")
        (self.floor.directory / "__main__.py").write_text(MAIN)
        self.records_dir = scratch / "records"
        self.records_dir.mkdir()

    def prepare(self, size: int) -> tuple[str, int, int]:
        """Stacks of `size` services on both sides; returns the stack name and the custom and component counts."""
        stack = f"bench-{size}"
        catalog_file = CATALOG_FILE.format(size=size)
        (self.program.directory / catalog_file).write_text(yaml.safe_dump(catalog(size), sort_keys=False))
        new_stack(self.program, stack, {f"{PROJECT}:catalogFile": catalog_file})
        leaves = [
            f"serviceSecrets.{name}.{key}={value}" for name, env in secrets(size).items() for key, value in env.items()
        ]
        leaves += [
            f"{key}.{leaf}={value}"
            for key, section in secret_config().items()
            if key != "edgeSecrets"
            for leaf, value in section.items()
        ]
        self.program.pulumi(
            "config", "set-all", "--stack", stack, "--path", *(arg for leaf in leaves for arg in ("--secret", leaf))
        )
        evaluation = program_evaluation(stack, size)
        records = custom_records(evaluation)
        document = {"customs": records, "components": component_records(evaluation)}
        (self.records_dir / f"{stack}.json").write_text(json.dumps(document))
        new_stack(self.floor, stack, {})
        components = sum(1 for entry in evaluation.registrations if not entry.custom)
        return stack, len(records), components

    def preview(self, side: str, stack: str, mode: str, *extra: str) -> Run:
        project = self.program if side == "program" else self.floor
        env = dict(MODES[mode])
        if side != "program":
            env[RECORDS_ENV] = str(self.records_dir / f"{stack}.json")
            env[WITH_COMPONENTS_ENV] = "1" if side == SHAPED_FLOOR else "0"
        result = project.pulumi("preview", "--stack", stack, *extra, timeout=PREVIEW_TIMEOUT, check=False, env=env)
        if result.returncode != 0:
            raise PreviewError(f"the {side}'s preview of {stack} failed:\n{result.output[-4000:]}")
        return result


def new_stack(project: Project, stack: str, config: dict[str, str]) -> None:
    """A stack with the base stack's config plus `config` (its stack file, as `stack init` wrote it, extended)."""
    project.pulumi("stack", "init", stack)
    path = project.directory / f"Pulumi.{stack}.yaml"
    document = yaml.safe_load(path.read_text()) or {}
    base = yaml.safe_load((project.directory / f"Pulumi.{BASE_STACK}.yaml").read_text()) or {}
    document["config"] = {**base.get("config", {}), **config}
    path.write_text(yaml.safe_dump(document, sort_keys=False))


def program_evaluation(stack: str, size: int) -> Evaluation:
    """The program under Pulumi's mocks with the config the engine hands the generated stack."""
    values, secret_keys = stack_values(BASE_STACK, size)
    return evaluate(stack, values, secret_keys, run)


def creates(result: Run) -> int:
    found = CREATES.search(result.stdout)
    return int(found.group(1)) if found else 0


def measure(sides: Sides, size: int, rounds: int) -> list[SizeResult]:
    """One result per mode; in each round every mode samples every side, in reverse order every other round."""
    stack, customs, components = sides.prepare(size)
    results = {mode: SizeResult(size, mode, customs, components, rounds) for mode in MODES}
    for index in range(rounds):
        order = SIDES if index % 2 == 0 else tuple(reversed(SIDES))
        for mode, result in results.items():
            for side in order:
                sample = sides.preview(side, stack, mode)
                # Every side creates its stack and the custom resources; all but the floor the components too.
                expected = customs + 1 + (0 if side == "floor" else components)
                if creates(sample) != expected:
                    raise PreviewError(
                        f"the {side}'s preview of {stack} would create {creates(sample)} resources, expected {expected}"
                    )
                result.wall[side].append(sample.wall_seconds)
                result.cpu[side].append(sample.cpu_seconds)
                result.roles[side].append(sample.cpu_by_role)
    for mode, result in results.items():
        result.policy_pack = sides.preview("program", stack, mode, "--policy-pack", "policy")
    return list(results.values())


def fixed_cost(sides: Sides) -> Run:
    """A floor registering only the provider instances: the CLI, language host and plugins starting and stopping."""
    stack = "bench-providers"
    customs = json.loads(next(sides.records_dir.glob("*.json")).read_text())["customs"]
    providers = [[*entry[:4], None] for entry in customs if entry[0].startswith("pulumi:providers:")]
    (sides.records_dir / f"{stack}.json").write_text(json.dumps({"customs": providers, "components": []}))
    new_stack(sides.floor, stack, {})
    return sides.preview("floor", stack, "workflow")
