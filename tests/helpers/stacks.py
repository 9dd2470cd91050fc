"""The real program evaluated under Pulumi's mocks, recording every registration; the stacks the tests cover.

The mocks answer no provider function: an unexpected invoke fails the test (see infra.mock_runtime).
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from infra.gc_tuning import tune_for_evaluation
from infra.mock_runtime import Evaluation, evaluate
from infra.program import run
from infra.settings import PROJECT
from infra.stack_files import read_stack_config

# Valid values for every secret config key a stack may require, for tests that evaluate a whole stack without
# placeholders; a test about one of them overrides that one.
REQUIRED_SECRETS: dict[str, Any] = {
    "backupSecrets": {"password": "test-restic-password"},
    "monitoringSecrets": {"grafanaAdminPassword": "test-grafana-password"},
    "edgeSecrets": {"cloudflareApiToken": "test-cloudflare-token", "clientTokenHashes": {"test-client": "b" * 64}},
}
REQUIRED_SECRET_KEYS = frozenset(f"mcp-suite:{key}" for key in REQUIRED_SECRETS)

# The suite evaluates stacks hundreds of times: the same collector setting as `pulumi up` (infra/gc_tuning.py).
# On import, so that every process that evaluates through this module (each worker, each probe subprocess) has it.
tune_for_evaluation()

STACKS = ("dev", "staging", "prod")
KUBERNETES_STACKS = ("staging", "prod")
KOYEB_STACKS = ("koyeb",)
"""Optional stacks: the same catalog on other targets (docs/koyeb.md); not part of STACKS' shared assertions."""
E2E_STACKS = ("e2e",)
"""dev as the real-engine tests deploy it where no registry can be reached (tests/e2e, docs/real-engine.md)."""


def evaluate_stack(
    stack: str,
    *,
    overrides: dict[str, Any] | None = None,
    secret_keys: frozenset[str] = frozenset(),
    preview: bool = False,
    placeholder_secrets: bool = True,
) -> Evaluation:
    """Evaluate the program as `stack`, with its stack file plus `overrides` ({key: value}; None deletes a key)."""
    config = read_stack_config(stack)
    values = dict(config.values)
    for key, value in (overrides or {}).items():
        full_key = f"{PROJECT}:{key}"
        if value is None:
            values.pop(full_key, None)
        else:
            values[full_key] = value if isinstance(value, str) else json.dumps(value)
    return evaluate(
        stack,
        values,
        config.secret_keys | secret_keys,
        lambda: run(placeholder_secrets=placeholder_secrets),
        preview=preview,
    )


@cache
def rendered(stack: str, preview: bool = False) -> Evaluation:
    """Each stack evaluated once per test session (as update unless `preview`)."""
    return evaluate_stack(stack, preview=preview)
