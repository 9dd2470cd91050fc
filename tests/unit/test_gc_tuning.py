"""Every process that evaluates the program collects garbage at the tuned threshold (docs/performance.md)."""

from __future__ import annotations

import gc
import subprocess
import sys
from pathlib import Path

from infra.gc_tuning import FIRST_GENERATION_THRESHOLD, tune_for_evaluation

ROOT = Path(__file__).resolve().parents[2]


def test_tuning_raises_the_first_generation_threshold_only() -> None:
    saved = gc.get_threshold()
    try:
        gc.set_threshold(700, 11, 12)
        tune_for_evaluation()
        assert gc.get_threshold() == (FIRST_GENERATION_THRESHOLD, 11, 12)
    finally:
        gc.set_threshold(*saved)


def test_pulumi_entry_point_tunes_before_the_program_runs() -> None:
    # The program's `run` replaced by one that reports the threshold it starts under: what `pulumi up` would see.
    probe = (
        "import gc, runpy, infra.program as program; "
        "program.run = lambda: print(gc.get_threshold()[0]); "
        "runpy.run_path('__main__.py')"
    )
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == str(FIRST_GENERATION_THRESHOLD)
