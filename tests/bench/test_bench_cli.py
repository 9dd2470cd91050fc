"""`python -m bench` end to end: its workers answer, its table adds up and its last line is the verdict."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def bench(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bench", *args], cwd=ROOT, capture_output=True, text=True, check=False, timeout=300
    )


def test_one_small_size_prints_the_table_and_ends_with_the_max_ratio() -> None:
    result = bench("--sizes", "1", "--rounds", "1", "--skip-suite")

    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines[0].startswith("machine: ")
    assert lines[1].split() == [
        "services", "resources", "components", "rounds", "program", "us/res", "floor", "us/res", "ratio", "raw",
        "us/res", "program", "MiB", "floor", "MiB",
    ]  # fmt: skip
    services, resources, components, rounds, program_us, floor_us, ratio, raw_us, *_mib = lines[2].split()
    assert (services, rounds) == ("1", "1")
    # One service on prod: its workload objects plus the stack's namespace, monitoring, policies and edge.
    assert int(resources) > 20 and int(components) >= 2
    # With one round the ratio is the two sides' times divided (the per-resource figures are rounded).
    assert abs(float(ratio) - float(program_us) / float(floor_us)) < 0.01
    assert float(raw_us) > 0
    assert re.fullmatch(r"bare registration: component \d+ us, custom resource without inputs \d+ us", lines[3])
    assert lines[-1] == f"max ratio program/floor: {float(ratio):.2f}"


def test_several_rounds_run_to_the_end_and_the_row_reports_them() -> None:
    result = bench("--sizes", "1", "--rounds", "4", "--skip-suite")

    assert result.returncode == 0, result.stderr
    row = result.stdout.strip().splitlines()[2].split()
    assert row[3] == "4"
    assert all(float(value) > 0 for value in row[4:8])
    assert result.stdout.strip().splitlines()[-1] == f"max ratio program/floor: {float(row[6]):.2f}"


def test_bad_arguments_are_refused_before_anything_runs() -> None:
    result = bench("--sizes", "0")

    assert result.returncode == 2
    assert "--sizes must be positive numbers of services" in result.stderr
    assert result.stdout == ""
