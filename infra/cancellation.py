"""How the program ends when the engine cancels an update.

When a resource fails, the engine stops the update, and the Python language host interrupts the program (SIGINT)
while its resource registrations are still waiting on the engine. The SDK does not catch the KeyboardInterrupt
that Python raises for it, so a failed `pulumi up` ended in a traceback through the SDK's internals below the
provider's own message, as if the program had crashed. The program has nothing left to do then: the engine has
already recorded and reported what failed, so it exits at once, quietly, with a failure status.
"""

from __future__ import annotations

import signal
from types import FrameType

CANCELLED_EXIT_STATUS = 1


def _exit_quietly(signum: int, frame: FrameType | None) -> None:
    # SystemExit, unlike KeyboardInterrupt, ends the interpreter without a traceback wherever it is raised, and
    # still runs the language host's clean-up (its `finally`) on the way out.
    raise SystemExit(CANCELLED_EXIT_STATUS)


def exit_quietly_when_cancelled() -> None:
    """Turn the interrupt that cancels an update into a quiet exit; call once, from the program's entry point."""
    signal.signal(signal.SIGINT, _exit_quietly)
