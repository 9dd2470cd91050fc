"""What a rule receives besides the resource: facts about the stack, settled per policy."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .props import Resource


@dataclass(frozen=True)
class RuleContext:
    production: bool
    """The stack is a production stack (prod-only rules apply)."""
    digests_required: bool
    """Every image must carry an @sha256 digest."""


ResourceCheck = Callable[[Resource, RuleContext], list[str]]
"""A resource rule: the violations of one resource, as messages naming what is wrong and how to fix it."""
