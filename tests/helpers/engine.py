"""The real Pulumi engine for the tests (bench/engine_cli.py): in CI its absence fails the run, elsewhere the test
skips."""

from __future__ import annotations

import os

import pytest

from bench import engine_cli
from bench.engine_cli import ENGINE_SCRIPT_TIMEOUT, Project, Run, project_copy

__all__ = ["ENGINE_SCRIPT_TIMEOUT", "Project", "Run", "engine_environment", "project_copy"]


def engine_environment() -> dict[str, str]:
    """The variables that put the engine on PATH, built or found once per session."""
    try:
        return engine_cli.engine_environment()
    except engine_cli.EngineUnavailable as error:
        if os.environ.get("CI") == "true":
            pytest.fail(str(error))
        pytest.skip(str(error))
