"""The suite's common labels, on every Kubernetes object and every Docker container and volume it creates.

One module, so that selectors, NetworkPolicies, alert rules and `kubectl -l` all agree on the same keys and
values: a label spelled differently in one component silently drops its objects from whatever selects on it.
Docker carries the same `app.kubernetes.io/*` keys, so one query (`docker ps --filter label=...`) finds the suite.
"""

from __future__ import annotations

PART_OF = "mcp-suite"
"""Value of `app.kubernetes.io/part-of` on everything the suite creates."""
MANAGED_BY = "pulumi"

NAME_KEY = "app.kubernetes.io/name"
COMPONENT_KEY = "app.kubernetes.io/component"
PART_OF_KEY = "app.kubernetes.io/part-of"
MANAGED_BY_KEY = "app.kubernetes.io/managed-by"
STACK_KEY = "mcp-suite/stack"
"""Docker only: one host may run several stacks, which Kubernetes tells apart by namespace instead."""
VOLUME_PURPOSE_KEY = "mcp-suite/volume-purpose"

BACKUP_COMPONENT = "backup"
"""`app.kubernetes.io/component` of the backup jobs; the BackupTooOld rule finds the CronJobs by it."""


def part_of() -> dict[str, str]:
    """Marks an object as the suite's."""
    return {PART_OF_KEY: PART_OF}


def managed() -> dict[str, str]:
    """The suite's, and changed only through Pulumi."""
    return {**part_of(), MANAGED_BY_KEY: MANAGED_BY}


def app(name: str) -> dict[str, str]:
    """Selects one application's pods. Only these two keys: selectors are immutable, so they must never grow."""
    return {NAME_KEY: name, **part_of()}


def workload(name: str, component: str) -> dict[str, str]:
    """An application's objects and pods: its selector labels, what role it plays, and who manages it."""
    return {**app(name), COMPONENT_KEY: component, MANAGED_BY_KEY: MANAGED_BY}


def volume(purpose: str) -> dict[str, str]:
    """A volume claim of the suite, by purpose (the same on the claims Pulumi and a restore create)."""
    return {**part_of(), VOLUME_PURPOSE_KEY: purpose}
