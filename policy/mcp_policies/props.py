"""Reading resource properties as the policy engine hands them over: wire names, plain values.

During a preview some values are unknown; the engine's proxy raises on reading one, and the policy is then
reported as not runnable for that resource instead of passing silently. So read only what a rule needs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Resource:
    """One resource as a policy sees it."""

    type: str
    """Type token, e.g. `kubernetes:apps/v1:Deployment`."""
    name: str
    """Logical name in the program."""
    props: Mapping[str, Any]
    """Inputs (resource policies) or outputs (stack policies), with wire (camelCase) names."""
    protect: bool = False
    """The `protect` resource option."""
    additional_secret_outputs: tuple[str, ...] = ()
    """Properties the program asked the engine to always keep secret in state."""
    urn: str = ""
    """URN, for pointing a stack-level finding at one resource."""


def mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def items(value: Any) -> list[Any]:
    if isinstance(value, Sequence) and not isinstance(value, str):
        return list(value)
    return []


def path(value: Any, *keys: str) -> Any:
    """`value[k1][k2]...`, or None as soon as a level is missing or not a mapping."""
    for key in keys:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value
