"""One side of a measurement in its own process: `python -m bench.measure --size N --side SIDE --records FILE`.

The worker imports the provider SDKs, warms up untimed (lazy submodule imports and first-use caches are not what
is measured), prints `{"ready": true}` and then answers commands read from stdin, one JSON line each:
`sample` times one evaluation; `peak` reports the process's peak memory. The orchestrator (bench/__main__.py)
asks the sides in turn, so every side's samples are taken under the same machine conditions, each side alone on
the CPU.

Sides: `program` evaluates the prod stack (its first sample also writes the custom resources it registered to
FILE); `floor` registers those resources again through the provider SDK classes; `raw-floor` through bare
`pulumi.CustomResource`; `bare` times SIZE bare component and custom registrations (the first round is a
warm-up).
"""

from __future__ import annotations

import argparse
import gc
import json
import pickle
import resource
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pulumi

# Provider SDKs are imported up front: imports are excluded from the timing.
import pulumi_kubernetes.apiextensions
import pulumi_kubernetes.apps.v1
import pulumi_kubernetes.autoscaling.v2
import pulumi_kubernetes.core.v1
import pulumi_kubernetes.policy.v1  # noqa: F401

from bench.catalog import stack_values
from bench.floor import Record, custom_records, floor_program
from infra.gc_tuning import tune_for_evaluation
from infra.mock_runtime import Evaluation, evaluate
from infra.program import run

STACK = "prod"
WARM_UP_SIZE = 10
"""The program warms up on a small catalog: every code path and resource type, for little time."""


def stack_config(size: int) -> tuple[dict[str, str], frozenset[str]]:
    return stack_values(STACK, size)


def evaluate_program(size: int) -> Evaluation:
    values, secret_keys = stack_config(size)
    return evaluate(STACK, values, secret_keys, run)


def record(size: int, out: Path) -> int:
    """Evaluate the program once and save the custom resources it registered; returns how many."""
    records = custom_records(evaluate_program(size))
    out.write_bytes(pickle.dumps(records))
    return len(records)


def one_of_each_type(records: list[Record]) -> list[Record]:
    """Providers plus the first record of every type: a floor warm-up that touches every class."""
    seen: set[str] = set()
    subset = []
    for entry in records:
        if entry[0] not in seen or entry[0].startswith("pulumi:providers:"):
            seen.add(entry[0])
            subset.append(entry)
    return subset


def timed(fn: Callable[[], Evaluation]) -> tuple[float, Evaluation]:
    """CPU seconds of this process (all its threads: the mock monitor answers on a thread pool) for one call."""
    gc.collect()
    started = time.process_time()
    evaluation = fn()
    return time.process_time() - started, evaluation


class Bare(pulumi.ComponentResource):
    def __init__(self, name: str) -> None:
        super().__init__("mcp-suite:bench:Bare", name)
        self.register_outputs({})


def bare_registrations(count: int) -> dict[str, float]:
    """CPU microseconds per bare registration: a ComponentResource with its (empty) outputs, and a custom resource
    with no inputs. What a component costs the program before it registers anything of its own."""

    def components() -> None:
        for index in range(count):
            Bare(f"component-{index}")

    def customs() -> None:
        for index in range(count):
            pulumi.CustomResource("bench:index:Bare", f"custom-{index}", {})

    costs: dict[str, list[float]] = {"component_us": [], "custom_us": []}
    for _ in range(4):
        for key, program in (("component_us", components), ("custom_us", customs)):
            seconds, _ = timed(lambda program=program: evaluate(STACK, {}, frozenset(), program))  # type: ignore[misc]
            costs[key].append(seconds / count * 1e6)
    return {key: statistics.median(values[1:]) for key, values in costs.items()}


class Side:
    def __init__(self, size: int, side: str, records_file: Path) -> None:
        self.size, self.side, self.records_file = size, side, records_file
        self.samples = 0
        if side == "bare":
            return
        if side == "program":
            evaluate_program(WARM_UP_SIZE)
            # Generating the catalog and reading the stack file are the benchmark's work, not the program's.
            values, secret_keys = stack_config(size)
            self.program = lambda: evaluate(STACK, values, secret_keys, run)
            return
        records: list[Record] = pickle.loads(records_file.read_bytes())
        raw = side == "raw-floor"
        warm_up = one_of_each_type(records)
        evaluate(STACK, {}, frozenset(), lambda: floor_program(warm_up, raw))
        self.floor = lambda: evaluate(STACK, {}, frozenset(), lambda: floor_program(records, raw))

    def sample(self) -> dict[str, Any]:
        if self.side == "bare":
            return bare_registrations(self.size)
        if self.side != "program":
            seconds, evaluation = timed(self.floor)
            return {"seconds": seconds, "registered": len(evaluation.registrations)}
        seconds, evaluation = timed(self.program)
        if self.samples == 0:
            self.records_file.write_bytes(pickle.dumps(custom_records(evaluation)))
        self.samples += 1
        customs = sum(1 for entry in evaluation.registrations if entry.custom)
        return {"seconds": seconds, "registered": len(evaluation.registrations), "customs": customs}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, required=True)
    parser.add_argument("--side", choices=["program", "floor", "raw-floor", "bare"], required=True)
    parser.add_argument("--records", type=Path, required=True)
    args = parser.parse_args()
    # The collector setting every evaluating process of the project uses (infra/gc_tuning.py), on every side.
    tune_for_evaluation()
    side = Side(args.size, args.side, args.records)
    print(json.dumps({"ready": True}), flush=True)
    for command in sys.stdin:
        if command.strip() == "sample":
            answer = side.sample()
        else:
            answer = {"peak_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}
        print(json.dumps(answer), flush=True)


if __name__ == "__main__":
    main()
