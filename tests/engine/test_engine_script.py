"""scripts/pulumi-engine finds the same engine however it is called: its cache key holds the versions and the
sources, not the path the script was run by (scripts and tests call it both ways, and a new key means a rebuild)."""

from __future__ import annotations

import subprocess

from infra.stack_files import PROJECT_DIR
from tests.helpers.engine import ENGINE_SCRIPT_TIMEOUT, engine_environment


def exports(command: str, cwd: str) -> str:
    result = subprocess.run(
        [command], cwd=cwd, capture_output=True, text=True, timeout=ENGINE_SCRIPT_TIMEOUT, check=True
    )
    return result.stdout


def test_the_engine_is_the_same_by_a_relative_or_an_absolute_path() -> None:
    engine_environment()  # built (or the user's CLI found) once, or the test is skipped or, in CI, failed
    absolute = exports(str(PROJECT_DIR / "scripts" / "pulumi-engine"), "/")
    assert absolute == exports("scripts/pulumi-engine", str(PROJECT_DIR))
    assert "export PATH=" in absolute
