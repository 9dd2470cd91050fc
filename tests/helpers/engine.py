"""The real Pulumi engine for the tests: the CLI, the Python language host and the provider plugins, as
scripts/pulumi-engine provides them (the user's own CLI, or one built once into a cache), run against a copy of
the project with its own file backend, so no test writes the checkout's stack files or state.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import signal
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

from infra.stack_files import PROJECT_DIR

PASSPHRASE = "mcp-suite-tests-only"
ENGINE_SCRIPT_TIMEOUT = 3600
"""Building the engine cold takes about 10 minutes on 2 cores; .ci/run builds it before the tests start."""


@cache
def engine_environment() -> dict[str, str]:
    """The variables that put the engine on PATH; in CI its absence fails the run, elsewhere the test skips."""
    result = subprocess.run(
        [str(PROJECT_DIR / "scripts" / "pulumi-engine")],
        capture_output=True,
        text=True,
        timeout=ENGINE_SCRIPT_TIMEOUT,
        check=False,
    )
    if result.returncode != 0:
        message = f"no Pulumi engine (scripts/pulumi-engine):\n{result.stderr}"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    environment: dict[str, str] = {}
    for line in result.stdout.splitlines():
        name, _, value = line.removeprefix("export ").partition("=")
        (value,) = shlex.split(value)
        environment[name] = value.replace("$PATH", os.environ.get("PATH", ""))
    return environment


@dataclass(frozen=True)
class Run:
    """One finished CLI call."""

    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def explain(self) -> str:
        return f"pulumi {' '.join(self.args)} exited {self.returncode}:\n{self.output[-6000:]}"


@dataclass(frozen=True)
class Project:
    """A copy of the project's tracked files with its own file backend; the virtualenvs are the checkout's."""

    directory: Path
    state: Path

    def environment(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        return {
            **os.environ,
            **engine_environment(),
            "PULUMI_BACKEND_URL": f"file://{self.state}",
            "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE,
            # The engine's own update and plugin downloads are off (scripts/pulumi-engine); so is its telemetry.
            "PULUMI_SKIP_UPDATE_CHECK": "true",
            "PULUMI_DISABLE_CI_DETECTION": "true",
            **(extra or {}),
        }

    def pulumi(self, *args: str, timeout: float = 600, check: bool = True, env: Mapping[str, str] | None = None) -> Run:
        """`pulumi ARGS` in the copy, killed with everything it started after `timeout` seconds."""
        return run_killable(
            ["pulumi", *args, "--non-interactive"], self.directory, self.environment(env), timeout, check
        )

    def script(self, *command: str, timeout: float = 1800, env: Mapping[str, str] | None = None) -> Run:
        """One of the copy's scripts (e.g. scripts/dev-up), as a user runs it, with the tests' backend."""
        return run_killable(list(command), self.directory, self.environment(env), timeout, check=False)


def run_killable(command: Sequence[str], cwd: Path, env: Mapping[str, str], timeout: float, check: bool) -> Run:
    # A session of its own: on a time-out the whole group goes (language host, plugins, policy pack), since a
    # policy pack that cannot start makes this language host wait forever and ignore SIGTERM.
    process = subprocess.Popen(
        list(command),
        cwd=cwd,
        env=dict(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        stdout, stderr = process.communicate()
        tail = (stdout + stderr)[-6000:]
        raise AssertionError(f"{' '.join(command)} did not finish within {timeout:.0f} s:\n{tail}") from None
    finally:
        _kill_group(process.pid)
    run = Run(tuple(command[1:]), process.returncode, stdout, stderr)
    if check and run.returncode != 0:
        raise AssertionError(run.explain())
    return run


def _kill_group(pgid: int) -> None:
    """Nothing the call started outlives it (plugins are normally stopped by the CLI; this catches the rest)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGKILL)


def project_copy(destination: Path) -> Project:
    """The checkout's files that git tracks or would (as a fresh clone has them, plus uncommitted work), with links
    to its .venv and policy/venv, which the scripts prepare."""
    tracked = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\0")
    directory = destination / "project"
    for name in filter(None, tracked):
        source = PROJECT_DIR / name
        if source.is_file():
            target = directory / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    for venv in (".venv", "policy/venv"):
        if (PROJECT_DIR / venv).is_dir():
            (directory / venv).symlink_to(PROJECT_DIR / venv)
    state = destination / "state"
    state.mkdir()
    return Project(directory=directory, state=state)
