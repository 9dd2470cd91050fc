"""`python -m bench`: time the prod stack under mocks at 10, 100 and 500 services against Pulumi's floor.
`python -m bench --engine`: the same comparison with the real engine's `pulumi preview`, then `up` and rollback
on the real Docker engine and `python -m infra diff` at 100 services (bench/engine_main.py).

Each side runs in its own process (bench/measure.py), so each has its own imports and its own peak memory. The
sides take their samples in turn, round after round, so slow and fast spells of a shared machine fall on all of
them alike; the ratio at a size is the median of the rounds' ratios. The last line is
`max ratio program/floor: X.XX`.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import IO, Any

ROOT = Path(__file__).resolve().parent.parent
SIZES = (10, 100, 500)
SIDES = ("program", "floor", "raw-floor")
SAMPLING_SECONDS = 45.0
"""CPU time to spend on program/floor pairs at one size, after the first round: more rounds for fast sizes."""
MIN_ROUNDS, MAX_ROUNDS = 5, 15
RAW_ROUNDS = 3
"""Rounds that also sample the raw floor: a reference figure, not part of the ratio."""
BARE_REGISTRATIONS = 300


class BenchError(Exception):
    """A measurement failed; the message says which and why."""


class Worker:
    """One side at one size, in its own process, answering `sample` and `peak` on request."""

    def __init__(self, size: int, side: str, records: Path) -> None:
        self.label = f"{side} at {size} services"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench.measure", "--size", str(size), "--side", side, "--records", str(records)],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def ready(self) -> Worker:
        """Wait until the worker has imported and warmed up."""
        self.ask(None)
        return self

    def ask(self, command: str | None) -> dict[str, Any]:
        stdin, stdout = self._pipes()
        if command is not None:
            stdin.write(command + "\n")
            stdin.flush()
        line = stdout.readline()
        if not line:
            self.process.kill()
            raise BenchError(f"measuring {self.label} failed:\n{self.process.communicate()[1]}")
        return dict(json.loads(line))

    def close(self) -> None:
        stdin, _ = self._pipes()
        stdin.close()
        self.process.wait()

    def _pipes(self) -> tuple[IO[str], IO[str]]:
        assert self.process.stdin is not None and self.process.stdout is not None
        return self.process.stdin, self.process.stdout


def measure_size(size: int, records: Path, fixed_rounds: int | None) -> dict[str, Any]:
    """Rounds of one program sample and one floor sample (and a raw floor sample in the first RAW_ROUNDS);
    per-resource times are medians, the ratio is the median of the rounds' program/floor ratios."""
    program = Worker(size, "program", records).ready()
    first = program.ask("sample")  # also writes the records the floors register
    floors = {side: Worker(size, side, records) for side in SIDES[1:]}  # both import at once: not timed
    workers = {"program": program, **{side: worker.ready() for side, worker in floors.items()}}
    samples: dict[str, list[float]] = {side: [] for side in SIDES}
    samples["program"].append(first["seconds"])
    for side in SIDES[1:]:
        answer = workers[side].ask("sample")
        if answer["registered"] != first["customs"]:
            raise BenchError(f"{side} registered {answer['registered']} resources, the program {first['customs']}")
        samples[side].append(answer["seconds"])
    pair_seconds = samples["program"][0] + samples["floor"][0]
    rounds = fixed_rounds or min(MAX_ROUNDS, max(MIN_ROUNDS, 1 + math.ceil(SAMPLING_SECONDS / pair_seconds)))
    for index in range(1, rounds):
        # Every other round the floor goes first, so neither side always follows the same one.
        pair = ("program", "floor") if index % 2 == 0 else ("floor", "program")
        for side in (*pair, "raw-floor") if index < RAW_ROUNDS else pair:
            samples[side].append(workers[side].ask("sample")["seconds"])
    peaks = {side: worker.ask("peak")["peak_mib"] for side, worker in workers.items()}
    for worker in workers.values():
        worker.close()
    customs = first["customs"]
    return {
        "customs": customs,
        "components": first["registered"] - customs,
        "rounds": rounds,
        "per_resource_us": {side: statistics.median(values) / customs * 1e6 for side, values in samples.items()},
        "ratio": statistics.median(p / f for p, f in zip(samples["program"], samples["floor"], strict=True)),
        "peak_mib": peaks,
    }


def bare_registration_costs() -> dict[str, float]:
    worker = Worker(BARE_REGISTRATIONS, "bare", Path("unused")).ready()
    costs = worker.ask("sample")
    worker.close()
    return costs


def suite_wall_time() -> float:
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise BenchError(f"the test suite failed:\n{result.stdout[-2000:]}")
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES), help="catalog sizes (default 10 100 500)")
    parser.add_argument("--skip-suite", action="store_true", help="do not time the whole test suite")
    parser.add_argument(
        "--rounds",
        type=int,
        help=f"rounds of samples per size (default: {MIN_ROUNDS} to {MAX_ROUNDS}, more for fast sizes)",
    )
    parser.add_argument(
        "--engine",
        action="store_true",
        help="measure with the real Pulumi engine and Docker instead of mocks (see docs/performance.md)",
    )
    parser.add_argument(
        "--deploy-stack",
        default="dev",
        help="with --engine: the local Docker stack to deploy for the up and rollback figures (default dev; "
        "e2e on a machine that reaches no registry)",
    )
    parser.add_argument("--skip-deploy", action="store_true", help="with --engine: no up and rollback figures")
    parser.add_argument("--json", type=Path, help="with --engine: also write every figure to this file")
    args = parser.parse_args(argv)
    if any(size < 1 for size in args.sizes):
        parser.error("--sizes must be positive numbers of services")
    if args.rounds is not None and args.rounds < 1:
        parser.error("--rounds must be at least 1")
    if not args.engine and (args.skip_deploy or args.json is not None or args.deploy_stack != "dev"):
        parser.error("--deploy-stack, --skip-deploy and --json go with --engine")
    if args.engine:
        from bench.engine_main import run_engine_bench

        return run_engine_bench(args.sizes, args.rounds, None if args.skip_deploy else args.deploy_stack, args.json)
    started = time.perf_counter()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, {platform.python_implementation()} "
        f"{platform.python_version()}, {platform.system()} {platform.release()}"
    )
    print(
        f"{'services':>8} {'resources':>9} {'components':>10} {'rounds':>6} {'program us/res':>14} "
        f"{'floor us/res':>12} {'ratio':>6} {'raw us/res':>10} {'program MiB':>11} {'floor MiB':>9}",
        flush=True,
    )
    ratios = []
    try:
        with tempfile.TemporaryDirectory() as scratch:
            for size in args.sizes:
                row = measure_size(size, Path(scratch) / f"records-{size}.pickle", args.rounds)
                ratios.append(row["ratio"])
                per = row["per_resource_us"]
                print(
                    f"{size:>8} {row['customs']:>9} {row['components']:>10} {row['rounds']:>6} "
                    f"{per['program']:>14.0f} {per['floor']:>12.0f} {row['ratio']:>6.2f} {per['raw-floor']:>10.0f} "
                    f"{row['peak_mib']['program']:>11.1f} {row['peak_mib']['floor']:>9.1f}",
                    flush=True,
                )
        bare = bare_registration_costs()
        print(
            f"bare registration: component {bare['component_us']:.0f} us, custom resource without inputs "
            f"{bare['custom_us']:.0f} us"
        )
        if not args.skip_suite:
            print(f"test suite wall time: {suite_wall_time():.1f} s")
    except BenchError as error:
        print(f"bench: {error}", file=sys.stderr)
        return 1
    print(f"bench wall time: {time.perf_counter() - started:.0f} s")
    print(f"max ratio program/floor: {max(ratios):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
