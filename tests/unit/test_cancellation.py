"""The engine's interrupt ends the program quietly with a failure status, wherever it finds the program."""

from __future__ import annotations

import subprocess
import sys

import pytest

from infra.stack_files import PROJECT_DIR

# A stand-in for the program under the language host: SDK worker threads still waiting on the engine when the
# interrupt comes, while the program itself waits (`running`) or has returned and the interpreter shuts down.
PROGRAM = """
import os, signal, sys, threading, time
from concurrent.futures import ThreadPoolExecutor
from infra.cancellation import exit_quietly_when_cancelled

exit_quietly_when_cancelled()
ThreadPoolExecutor(1).submit(time.sleep, 5)
threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGINT)).start()
if sys.argv[1] == "running":
    time.sleep(5)
"""


@pytest.mark.parametrize("when", ["running", "shutting-down"])
def test_the_interrupt_ends_the_program_quietly_with_a_failure_status(when: str) -> None:
    result = subprocess.run(
        [sys.executable, "-c", PROGRAM, when], cwd=PROJECT_DIR, capture_output=True, text=True, timeout=30
    )
    assert (result.returncode, result.stderr) == (1, "")
