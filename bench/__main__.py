"""`python -m bench`: time the prod stack under mocks at 10, 100 and 500 services against Pulumi's floor.

Each measurement runs in its own process (see bench/measure.py). The last line is `max ratio program/floor: X.XX`.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SIZES = (10, 100, 500)


def measure(size: int, side: str, records: Path) -> dict[str, Any]:
    result = subprocess.run(
        [sys.executable, "-m", "bench.measure", "--size", str(size), "--side", side, "--records", str(records)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"bench: measuring {side} at {size} services failed:\n{result.stderr}")
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


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
        raise SystemExit(f"bench: the test suite failed:\n{result.stdout[-2000:]}")
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES), help="catalog sizes (default 10 100 500)")
    parser.add_argument("--skip-suite", action="store_true", help="do not time the whole test suite")
    args = parser.parse_args(argv)
    if any(size < 1 for size in args.sizes):
        parser.error("--sizes must be positive numbers of services")

    print(
        f"machine: {platform.machine()}, {platform.python_implementation()} {platform.python_version()}, "
        f"{platform.system()} {platform.release()}"
    )
    header = (
        f"{'services':>8} {'resources':>9} {'components':>10} {'program us/res':>14} {'floor us/res':>12} "
        f"{'ratio':>6} {'raw us/res':>10} {'program MiB':>11} {'floor MiB':>9}"
    )
    print(header)
    ratios = []
    with tempfile.TemporaryDirectory() as scratch:
        for size in args.sizes:
            records = Path(scratch) / f"records-{size}.pickle"
            customs = measure(size, "record", records)["customs"]
            program = measure(size, "program", records)
            floor = measure(size, "floor", records)
            raw_floor = measure(size, "raw-floor", records)
            if floor["registered"] != customs:
                raise SystemExit(f"bench: floor registered {floor['registered']} resources, program {customs}")
            per_program = program["seconds"] / customs * 1e6
            per_floor = floor["seconds"] / customs * 1e6
            ratio = per_program / per_floor
            ratios.append(ratio)
            print(
                f"{size:>8} {customs:>9} {program['registered'] - customs:>10} {per_program:>14.0f} "
                f"{per_floor:>12.0f} {ratio:>6.2f} {raw_floor['seconds'] / customs * 1e6:>10.0f} "
                f"{program['peak_mib']:>11.1f} {floor['peak_mib']:>9.1f}"
            )
    if not args.skip_suite:
        print(f"test suite wall time: {suite_wall_time():.1f} s")
    print(f"max ratio program/floor: {max(ratios):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
