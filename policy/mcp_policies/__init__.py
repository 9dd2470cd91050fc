"""The mcp-suite policy pack's rules, importable without starting the pack (tests import this, never __main__)."""

from .context import StackFacts
from .policies import PACK_NAME, RESOURCE_RULES, STACK_RULES, build_policies, resource_violations, rule_context
from .props import Resource
from .rules import RuleContext

__all__ = [
    "PACK_NAME",
    "RESOURCE_RULES",
    "STACK_RULES",
    "Resource",
    "RuleContext",
    "StackFacts",
    "build_policies",
    "resource_violations",
    "rule_context",
]
