"""The real Pulumi engine, run against a copy of the project: the CLI, the Python language host and the provider
plugins as scripts/pulumi-engine provides them (the user's own CLI, or one built once into a cache).

Shared by the real-engine tests (tests/helpers/engine.py adds pytest's skip and fail) and `python -m bench
--engine`. Each copy has its own file backend, so nothing writes the checkout's stack files or state, and every
call is killed with everything it started after a time limit.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from bench.process_cpu import ProcessTreeCpu
from infra.stack_files import PROJECT_DIR

PASSPHRASE = "mcp-suite-tests-only"
ENGINE_SCRIPT_TIMEOUT = 3600
"""Building the engine cold takes about 10 minutes on 2 cores; .ci/run builds it before the tests start."""


class EngineUnavailable(Exception):
    """scripts/pulumi-engine found no CLI and could not build one; the message is what it said."""


@cache
def engine_environment() -> dict[str, str]:
    """The variables that put the engine on PATH (scripts/pulumi-engine's `export` lines)."""
    result = subprocess.run(
        [str(PROJECT_DIR / "scripts" / "pulumi-engine")],
        capture_output=True,
        text=True,
        timeout=ENGINE_SCRIPT_TIMEOUT,
        check=False,
    )
    if result.returncode != 0:
        raise EngineUnavailable(f"no Pulumi engine (scripts/pulumi-engine):\n{result.stderr}")
    environment: dict[str, str] = {}
    for line in result.stdout.splitlines():
        name, _, value = line.removeprefix("export ").partition("=")
        (value,) = shlex.split(value)
        environment[name] = value.replace("$PATH", os.environ.get("PATH", ""))
    return environment


@dataclass(frozen=True)
class Run:
    """One finished CLI call, with its wall time and the CPU time of everything it started."""

    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str
    wall_seconds: float = 0.0
    cpu_seconds: float = 0.0
    """User plus system time of the call and every process it started and reaped."""
    cpu_by_role: dict[str, float] = field(default_factory=dict)
    """The same per kind of process (bench/process_cpu.py), as last sampled before each exited."""

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def explain(self) -> str:
        return f"pulumi {' '.join(self.args)} exited {self.returncode}:\n{self.output[-6000:]}"


class CallFailed(AssertionError):
    """A CLI call exited non-zero or did not finish in time; the message has its output's tail."""


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
        """One of the copy's scripts (e.g. scripts/dev-up), as a user runs it, with the copy's backend."""
        return run_killable(list(command), self.directory, self.environment(env), timeout, check=False)


def run_killable(command: Sequence[str], cwd: Path, env: Mapping[str, str], timeout: float, check: bool) -> Run:
    # A session of its own: on a time-out the whole group goes (language host, plugins, policy pack), since a
    # policy pack that cannot start makes this language host wait forever and ignore SIGTERM. The session also
    # tells the CPU sampler which processes are the call's.
    before = os.times()
    started = time.perf_counter()
    process = subprocess.Popen(
        list(command),
        cwd=cwd,
        env=dict(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    sampler = ProcessTreeCpu(process.pid).start()
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        stdout, stderr = process.communicate()
        tail = (stdout + stderr)[-6000:]
        raise CallFailed(f"{' '.join(command)} did not finish within {timeout:.0f} s:\n{tail}") from None
    finally:
        _kill_group(process.pid)
        by_role = sampler.stop()
    wall = time.perf_counter() - started
    after = os.times()
    cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    run = Run(tuple(command[1:]), process.returncode, stdout, stderr, wall, cpu, by_role)
    if check and run.returncode != 0:
        raise CallFailed(run.explain())
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
