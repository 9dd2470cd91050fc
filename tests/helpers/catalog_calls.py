"""A harmless tool call per service of the default catalog, answered from what the service holds: what the
end-to-end tests call through the dev gateway and through each Service of the test cluster."""

from __future__ import annotations

from typing import Any

ECHOED = "a harmless call"
"""What `everything`'s echo sends, and so must answer."""
CALLS: dict[str, tuple[str, dict[str, Any]]] = {
    "everything": ("echo", {"message": ECHOED}),
    "filesystem": ("list_allowed_directories", {}),
    "memory": ("read_graph", {}),
    "sequential-thinking": (
        "sequentialthinking",
        {"thought": "one step", "thoughtNumber": 1, "totalThoughts": 1, "nextThoughtNeeded": False},
    ),
}


def visit_plan(urls: dict[str, str]) -> dict[str, dict[str, Any]]:
    """What the SDK peers' catalog clients read: each service's URL with its harmless call."""
    return {
        service: {"url": urls[service], "tool": tool, "arguments": arguments}
        for service, (tool, arguments) in CALLS.items()
    }
