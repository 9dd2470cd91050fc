"""Shared fixtures: the real program evaluated under Pulumi's mocks, recording every registration.

The mocks answer no provider function: an unexpected invoke fails the test (see infra.mock_runtime).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from infra.gc_tuning import tune_for_evaluation
from infra.mock_runtime import Evaluation, evaluate
from infra.program import run
from infra.settings import PROJECT
from infra.stack_files import read_stack_config

# Valid values for every secret config key a stack may require, for tests that evaluate a whole stack without
# placeholders; a test about one of them overrides that one.
REQUIRED_SECRETS: dict[str, Any] = {
    "backupSecrets": {"password": "test-restic-password"},
    "monitoringSecrets": {"grafanaAdminPassword": "test-grafana-password"},
    "edgeSecrets": {"cloudflareApiToken": "test-cloudflare-token", "clientTokenHashes": {"test-client": "b" * 64}},
}
REQUIRED_SECRET_KEYS = frozenset(f"mcp-suite:{key}" for key in REQUIRED_SECRETS)

# The suite evaluates stacks hundreds of times: the same collector setting as `pulumi up` (infra/gc_tuning.py).
tune_for_evaluation()

STACKS = ("dev", "staging", "prod")
KUBERNETES_STACKS = ("staging", "prod")
KOYEB_STACKS = ("koyeb",)
"""Optional stacks: the same catalog on other targets (docs/koyeb.md); not part of STACKS' shared assertions."""


def require_tool(name: str) -> str:
    """Path of an external tool; in CI a missing tool fails the run, elsewhere the test is skipped.

    Tools pinned in requirements-dev.txt live beside the interpreter (.venv/bin), which need not be on PATH.
    """
    path = shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)
    if path is None:
        message = f"{name} is not installed (CI installs it in .ci/run)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path


def require_venv_tool(name: str) -> str:
    """Path of a tool that scripts/tools installs in its own venv (.tools/<name>); fails in CI, skips elsewhere."""
    path = Path(__file__).resolve().parent.parent / ".tools" / name / "bin" / name
    if not path.exists():
        message = f"{name} is not installed; run scripts/tools (scripts/test does)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return str(path)


def evaluate_stack(
    stack: str,
    *,
    overrides: dict[str, Any] | None = None,
    secret_keys: frozenset[str] = frozenset(),
    preview: bool = False,
    placeholder_secrets: bool = True,
) -> Evaluation:
    """Evaluate the program as `stack`, with its stack file plus `overrides` ({key: value}; None deletes a key)."""
    config = read_stack_config(stack)
    values = dict(config.values)
    for key, value in (overrides or {}).items():
        full_key = f"{PROJECT}:{key}"
        if value is None:
            values.pop(full_key, None)
        else:
            values[full_key] = value if isinstance(value, str) else json.dumps(value)
    return evaluate(
        stack,
        values,
        config.secret_keys | secret_keys,
        lambda: run(placeholder_secrets=placeholder_secrets),
        preview=preview,
    )


@cache
def rendered(stack: str, preview: bool = False) -> Evaluation:
    """Each stack evaluated once per test session (as update unless `preview`)."""
    return evaluate_stack(stack, preview=preview)


@pytest.fixture(scope="session")
def render_stack() -> Callable[..., Evaluation]:
    return rendered


@pytest.fixture
def stack_evaluator() -> Callable[..., Evaluation]:
    return evaluate_stack


@pytest.fixture(scope="session")
def render_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[str], Path]]:
    """Directory holding `python -m infra render` output of a stack, written once per session."""
    from infra.render import write_render

    written: dict[str, Path] = {}

    def get(stack: str) -> Path:
        if stack not in written:
            out = tmp_path_factory.mktemp(f"render-{stack}")
            write_render(rendered(stack, preview=True), out)
            written[stack] = out
        return written[stack]

    yield get
