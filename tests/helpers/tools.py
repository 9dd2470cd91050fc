"""External tools some tests run: their paths, or a skip where they are missing (a failure in CI)."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

from infra.stack_files import PROJECT_DIR


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


def require_venv_tool(name: str, command: str | None = None) -> str:
    """Path of a tool that scripts/tools installs in its own venv (.tools/<name>); fails in CI, skips elsewhere.

    `command` names another program of that venv, for example its `python` to run a library the tool is.
    """
    path = PROJECT_DIR / ".tools" / name / "bin" / (command or name)
    if not path.exists():
        message = f"{name} is not installed; run scripts/tools (scripts/test does)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return str(path)


def require_edge_packages() -> Path:
    """The edge worker's directory once its npm packages (workerd through Miniflare) are installed."""
    edge = PROJECT_DIR / "edge"
    if not (edge / "node_modules" / "miniflare").is_dir():
        message = "the worker's npm packages are not installed; scripts/edge-test installs them"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return edge


def require_go_tool(name: str) -> str:
    """Path of a tool of tools/go-tools.list, as scripts/go-tools builds it; fails in CI, skips elsewhere."""
    for line in (PROJECT_DIR / "tools" / "go-tools.list").read_text().splitlines():
        fields = line.split()
        if fields and fields[0] == name:
            cache = Path(os.environ.get("MCP_SUITE_CACHE", Path.home() / ".cache" / "mcp-suite"))
            path = cache / "go-tools" / f"{name}-{fields[2]}" / name
            if path.exists():
                return str(path)
            message = f"{name} {fields[2]} is not built; run scripts/go-tools (.ci/run does)"
            if os.environ.get("CI") == "true":
                pytest.fail(message)
            pytest.skip(message)
    raise AssertionError(f"{name} is not in tools/go-tools.list")


def require_npm_packages(folder: str, installer: str) -> Path:
    """A folder of the repository (with a package-lock.json) once scripts/npm-ci has installed its current lockfile;
    `installer` is the script that does. Fails in CI, skips elsewhere; a lockfile changed since is not installed."""
    path = PROJECT_DIR / folder
    stamp = path / "node_modules" / ".installed-lock"
    if not stamp.is_file() or stamp.read_bytes() != (path / "package-lock.json").read_bytes():
        message = f"{folder}'s npm packages are not installed from its lockfile; run {installer} (scripts/test does)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path
