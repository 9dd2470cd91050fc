"""The floor program under the real engine: a copy of the project whose `__main__.py` calls `main()`, registering
the program's custom resources (bench/floor.py) read from the JSON file named by MCP_SUITE_BENCH_FLOOR_RECORDS.

With MCP_SUITE_BENCH_FLOOR_WITH_COMPONENTS=1 it also registers the program's components, each resource under its
parent: the program's shape without its settings, renderers and Outputs.

It runs in a project of its own with the same Pulumi.yaml, virtualenv, working directory and provider plugins as
the program, so the only difference between the two previews is the program's own work.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from bench.floor import Component, Record, floor_program
from infra.gc_tuning import tune_for_evaluation

RECORDS_ENV = "MCP_SUITE_BENCH_FLOOR_RECORDS"
WITH_COMPONENTS_ENV = "MCP_SUITE_BENCH_FLOOR_WITH_COMPONENTS"
"""Set to 1: the program's components too, each resource under its parent (bench/floor.py)."""
MAIN = "from bench.engine_floor import main\n\nmain()\n"
"""The floor project's `__main__.py`."""


def main() -> None:
    # The program's collector setting (its __main__.py does the same), so neither side gains from it alone.
    tune_for_evaluation()
    document = json.loads(Path(os.environ[RECORDS_ENV]).read_text())
    records: list[Record] = [tuple(entry) for entry in document["customs"]]
    components: list[Component] = [tuple(entry) for entry in document["components"]]
    floor_program(records, raw=False, components=components if os.environ.get(WITH_COMPONENTS_ENV) == "1" else None)
