"""CPU time per kind of process of one engine call: the CLI, the language host, the program, the policy pack and
each provider plugin.

A thread reads /proc every few milliseconds for the processes of the call's session (the CLI is started in a
session of its own, and everything it starts stays in it) and keeps each one's last user plus system time. A
process's last few milliseconds before it exits are missed; the call's total, which the caller takes from the
kernel's accounting of reaped children, is exact.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

SAMPLE_SECONDS = 0.02
TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")


def role(command_line: list[str]) -> str:
    """The kind of engine process a command line belongs to."""
    if not command_line:
        return "other"
    executable = Path(command_line[0]).name
    if executable == "pulumi":
        return "engine (CLI)"
    if executable.startswith("pulumi-resource-"):
        return f"provider {executable.removeprefix('pulumi-resource-')}"
    if executable.startswith("pulumi-language-"):
        return "language host"
    if executable.startswith("pulumi-analyzer-"):
        return "policy pack"
    if executable.startswith("python"):
        joined = " ".join(command_line)
        if "pulumi-language-python-exec" in joined:
            return "program"  # the language host runs the program through its exec shim
        if "pulumi.policy" in joined or "/policy/venv/" in joined:
            return "policy pack"  # the analyzer's Python, in the pack's own virtualenv
        # The language host's own checks in the project's virtualenv: `pip list`, versions, installed packages.
        return "language host"
    return "other"


def session_of(stat: str) -> int:
    """The session id field of /proc/<pid>/stat (after the command name, which may hold spaces)."""
    return int(stat[stat.rindex(")") + 2 :].split()[3])


def cpu_ticks(stat: str) -> int:
    fields = stat[stat.rindex(")") + 2 :].split()
    return int(fields[11]) + int(fields[12])  # utime, stime


class ProcessTreeCpu:
    """Samples the processes of session `session` from a thread of its own between `start()` and `stop()`."""

    def __init__(self, session: int) -> None:
        self.session = session
        self._last: dict[int, tuple[str, int]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> ProcessTreeCpu:
        self._thread.start()
        return self

    def stop(self) -> dict[str, float]:
        """CPU seconds per role, as last seen."""
        self._stop.set()
        self._thread.join()
        totals: dict[str, float] = {}
        for name, ticks in self._last.values():
            totals[name] = totals.get(name, 0.0) + ticks / TICKS_PER_SECOND
        return totals

    def _run(self) -> None:
        while not self._stop.is_set():
            self._sample()
            self._stop.wait(SAMPLE_SECONDS)

    def _sample(self) -> None:
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            pid = int(entry.name)
            try:
                stat = Path(f"/proc/{pid}/stat").read_text()
                if session_of(stat) != self.session:
                    continue
                # Read again at every sample: a process first seen between fork and exec still shows its parent's
                # command line (the CLI, sampled right after it is started, once looked like a Python process). An
                # exited process not yet reaped shows none; it keeps the role it had.
                command_line = Path(f"/proc/{pid}/cmdline").read_text().split("\0")[:-1]
                known = self._last.get(pid)
                name = role(command_line) if command_line or known is None else known[0]
            except (OSError, ValueError, IndexError):
                continue  # gone meanwhile
            self._last[pid] = (name, cpu_ticks(stat))
