"""Secret environment values as secret Outputs, so they stay encrypted in state and redacted in previews."""

from __future__ import annotations

import pulumi

from components.spec import ServiceSpec
from infra.settings import Settings


def secret_env(settings: Settings, spec: ServiceSpec) -> dict[str, pulumi.Output[str]]:
    return {name: pulumi.Output.secret(settings.secret_value(spec.name, name)) for name in spec.secret_env}
