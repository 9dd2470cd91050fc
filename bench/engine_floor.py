"""The floor program under the real engine: a copy of the project whose `__main__.py` calls `main()`, registering
the program's custom resources (bench/floor.py) read from the JSON file named by MCP_SUITE_BENCH_FLOOR_RECORDS.

It runs in a project of its own with the same Pulumi.yaml, virtualenv, working directory and provider plugins as
the program, so the only difference between the two previews is the program's own work: settings, components and
renderers.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from bench.floor import Record, floor_program
from infra.gc_tuning import tune_for_evaluation

RECORDS_ENV = "MCP_SUITE_BENCH_FLOOR_RECORDS"
MAIN = "from bench.engine_floor import main\n\nmain()\n"
"""The floor project's `__main__.py`."""


def main() -> None:
    # The program's collector setting (its __main__.py does the same), so neither side gains from it alone.
    tune_for_evaluation()
    records: list[Record] = [tuple(entry) for entry in json.loads(Path(os.environ[RECORDS_ENV]).read_text())]
    floor_program(records, raw=False)
