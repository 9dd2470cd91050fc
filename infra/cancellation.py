"""How the program ends when the engine cancels an update.

When a resource fails, the engine stops the update, and the Python language host interrupts the program (SIGINT).
The interrupt finds the program anywhere: waiting on the engine while its resource registrations run, or already
returned, in the interpreter's shutdown, which waits for the SDK's threads. Python's KeyboardInterrupt, which the
SDK does not catch, ended a failed `pulumi up` in a traceback through the SDK's internals below the provider's own
message, as if the program had crashed; so did any exception raised during the shutdown, which also lost the exit
status. The program has nothing left to do then: the engine has already recorded and reported what failed, and
nothing of the program's needs closing. So it leaves at once, quietly, with a failure status.
"""

from __future__ import annotations

import os
import signal
import sys
from types import FrameType

CANCELLED_EXIT_STATUS = 1


def _exit_quietly(signum: int, frame: FrameType | None) -> None:
    # Not SystemExit: raised while the interpreter shuts down, it is printed as a traceback and the status lost.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(CANCELLED_EXIT_STATUS)


def exit_quietly_when_cancelled() -> None:
    """Turn the interrupt that cancels an update into a quiet exit; call once, from the program's entry point."""
    signal.signal(signal.SIGINT, _exit_quietly)
