"""A rendered stack as the policy pack sees it."""

from __future__ import annotations

from infra.mock_runtime import Evaluation
from policy.mcp_policies import Resource


def policy_resources(evaluation: Evaluation) -> list[Resource]:
    """Registrations as the engine hands them to a policy pack: wire inputs with secrets decrypted, and options."""
    return [
        Resource(
            type=entry.type,
            name=entry.name,
            props=entry.policy_inputs,
            protect=bool(entry.options.get("protect")),
            additional_secret_outputs=tuple(entry.options.get("additionalSecretOutputs", ())),
            urn=f"urn:pulumi:{evaluation.stack}::mcp-suite::{entry.type}::{entry.name}",
        )
        for entry in evaluation.registrations
    ]
