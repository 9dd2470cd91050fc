"""`python -m bench --engine`: the real engine's figures side by side in one run.

1. `pulumi preview` of the docker target at each catalog size, program against floor (bench/engine_preview.py),
   with the CPU time per kind of process and the policy pack's extra;
2. `up` from empty, no-op, one-service image changes and their rollbacks on the real Docker engine, with the calls
   that got no answer meanwhile (bench/engine_deploy.py);
3. `python -m infra diff` on a pull-request-sized change at 100 services (bench/diff_timing.py).

The last lines are `max preview ratio program/floor, MODE: wall X.XX, cpu Y.YY`, one per way of running
previews (bench/engine_preview.py MODES).
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import diff_timing, engine_deploy, engine_preview
from bench.engine_cli import CallFailed, EngineUnavailable, engine_environment

ROUNDS = {10: 5, 100: 5, 500: 3}
"""Rounds per size: a 500-service preview takes most of a minute per side."""
DEFAULT_ROUNDS = 3
DIFF_SERVICES = 100


def machine_description() -> str:
    return (
        f"{platform.machine()}, {os.cpu_count()} cores, {platform.python_implementation()} "
        f"{platform.python_version()}, {platform.system()} {platform.release()}"
    )


def engine_version() -> str:
    environment = {**os.environ, **engine_environment()}
    return subprocess.run(
        ["pulumi", "version"], env=environment, capture_output=True, text=True, check=True
    ).stdout.strip()


def docker_running() -> bool:
    try:
        return subprocess.run(["docker", "info"], capture_output=True, check=False).returncode == 0
    except FileNotFoundError:  # no docker CLI at all
        return False


def print_preview(result: engine_preview.SizeResult) -> None:
    figures = result.as_json()
    wall, cpu = figures["wall_seconds"], figures["cpu_seconds"]
    pack = figures["policy_pack"]
    print(
        f"{result.mode:>11} {result.size:>8} {result.customs:>9} {result.components:>10} {result.rounds:>6} "
        f"{wall['program']:>8.1f} {wall['floor']:>8.1f} {figures['ratio_wall']:>6.2f} "
        f"{cpu['program']:>8.1f} {cpu['floor']:>8.1f} {figures['ratio_cpu']:>6.2f} "
        f"{pack['wall_seconds']:>9.1f}",
        flush=True,
    )
    shaped = engine_preview.SHAPED_FLOOR
    print(
        f"{'':>20} {shaped}: wall {wall[shaped]:.1f} s, cpu {cpu[shaped]:.1f} s; program against it: wall "
        f"{figures['ratio_wall_to_shape']:.2f}, cpu {figures['ratio_cpu_to_shape']:.2f}",
        flush=True,
    )
    for side in engine_preview.SIDES:
        roles = ", ".join(f"{name} {seconds:.1f}" for name, seconds in figures["cpu_by_role"][side].items())
        print(f"{'':>20} cpu s by process, {side}: {roles}", flush=True)


def run_engine_bench(sizes: list[int], rounds: int | None, deploy_stack: str | None, json_out: Path | None) -> int:
    started = time.perf_counter()
    try:
        version = engine_version()
    except EngineUnavailable as error:
        print(f"bench: {error}", file=sys.stderr)
        return 1
    if not docker_running():
        # The docker provider connects to the engine even to preview.
        print("bench: the previews and deployments need a running Docker engine (docker info fails)", file=sys.stderr)
        return 1
    print(f"machine: {machine_description()}; pulumi {version}", flush=True)
    report: dict[str, Any] = {"machine": machine_description(), "pulumi": version, "preview": [], "deploy": []}
    try:
        with tempfile.TemporaryDirectory(prefix="bench-engine-") as scratch_dir:
            scratch = Path(scratch_dir)
            print(
                f"{'mode':>11} {'services':>8} {'resources':>9} {'components':>10} {'rounds':>6} {'prog s':>8} "
                f"{'floor s':>8} {'ratio':>6} {'prog cpu':>8} {'floor cpu':>8} {'ratio':>6} {'+policy s':>9}",
                flush=True,
            )
            sides = engine_preview.Sides(scratch / "preview")
            for size in sizes:
                for result in engine_preview.measure(sides, size, rounds or ROUNDS.get(size, DEFAULT_ROUNDS)):
                    report["preview"].append(result.as_json())
                    print_preview(result)
            fixed = engine_preview.fixed_cost(sides)
            report["fixed_cost"] = {
                "wall_seconds": fixed.wall_seconds,
                "cpu_seconds": fixed.cpu_seconds,
                "cpu_by_role": fixed.cpu_by_role,
            }
            print(
                f"providers only (engine, language host and plugins start and stop): {fixed.wall_seconds:.1f} s "
                f"wall, {fixed.cpu_seconds:.1f} s cpu",
                flush=True,
            )
            if deploy_stack is not None:
                for step in engine_deploy.measure(scratch / "deploy", deploy_stack):
                    report["deploy"].append(step.as_json())
                    probes = "; ".join(
                        f"{path}: {figures['unanswered']} of {figures['answered'] + figures['unanswered']} "
                        f"unanswered over {figures['downtime_seconds']} s"
                        for path, figures in step.probes.items()
                    )
                    print(
                        f"{step.name}: {step.seconds:.1f} s; replaced {step.replaced or 'nothing'}"
                        + (f"; {probes}" if probes else ""),
                        flush=True,
                    )
            timing = diff_timing.measure(scratch / "diff", DIFF_SERVICES)
            report["diff"] = timing.as_json()
            print(
                f"python -m infra diff, {timing.services} services, staging and prod: {timing.seconds:.1f} s "
                f"({timing.counts})",
                flush=True,
            )
    except (engine_preview.PreviewError, engine_deploy.DeployError, diff_timing.DiffTimingError, CallFailed) as error:
        print(f"bench: {error}", file=sys.stderr)
        return 1
    except subprocess.CalledProcessError as error:
        print(f"bench: {' '.join(map(str, error.cmd))} failed:\n{error.stderr or ''}", file=sys.stderr)
        return 1
    report["wall_seconds"] = time.perf_counter() - started
    if json_out is not None:
        json_out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"bench wall time: {report['wall_seconds']:.0f} s")
    for mode in engine_preview.MODES:
        ratios = [figures for figures in report["preview"] if figures["mode"] == mode]
        print(
            f"max preview ratio program/floor, {mode}: wall {max(r['ratio_wall'] for r in ratios):.2f}, "
            f"cpu {max(r['ratio_cpu'] for r in ratios):.2f}"
        )
    return 0
