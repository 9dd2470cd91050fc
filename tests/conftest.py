"""Shared fixtures over the real program evaluated under Pulumi's mocks (tests/helpers/stacks.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from infra.mock_runtime import Evaluation
from tests.helpers.stacks import evaluate_stack, rendered


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
