"""What a policy knows about the stack it runs for: its name and the stack's digest requirement.

The Pulumi CLI starts a policy pack with the stack's name in PULUMI_STACK and the stack's config (project defaults
applied) as JSON in PULUMI_CONFIG, as it does for the program itself. Per-policy config
(`--policy-pack-config`) can tighten both: which stacks count as production, and digests everywhere.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

PROJECT = "mcp-suite"
REQUIRE_DIGESTS_KEY = f"{PROJECT}:requireImageDigests"
DEFAULT_PRODUCTION_STACKS = ("prod",)


@dataclass(frozen=True)
class StackFacts:
    """The stack under analysis."""

    name: str | None
    """Stack name; None when the CLI did not give one, and then production rules apply (fail closed)."""
    require_image_digests: bool = False
    """The stack's `requireImageDigests` setting."""

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> StackFacts:
        config = json.loads(environ.get("PULUMI_CONFIG") or "{}")
        setting = config.get(REQUIRE_DIGESTS_KEY, False) if isinstance(config, dict) else False
        return cls(name=environ.get("PULUMI_STACK") or None, require_image_digests=setting in (True, "true"))

    def is_production(self, policy_config: Mapping[str, Any]) -> bool:
        stacks = policy_config.get("productionStacks", DEFAULT_PRODUCTION_STACKS)
        return self.name is None or self.name in stacks

    def digests_required(self, policy_config: Mapping[str, Any]) -> bool:
        return self.require_image_digests or policy_config.get("requireImageDigests") is True
