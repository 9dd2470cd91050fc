"""Entry point the Pulumi CLI runs for `--policy-pack policy`: serves the pack's policies (this call blocks)."""

import os

from mcp_policies import PACK_NAME, StackFacts, build_policies
from pulumi_policy import EnforcementLevel, PolicyPack

PolicyPack(
    name=PACK_NAME,
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=build_policies(StackFacts.from_environment(os.environ)),
)
