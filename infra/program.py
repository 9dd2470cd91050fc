"""The Pulumi program: read settings once, then compose the stack's target.

`pulumi up` runs `run()` through `__main__.py`; `python -m infra render` runs the same function under mocks.
"""

from __future__ import annotations

import pulumi

from infra.config_source import read_config
from infra.settings import Settings, SettingsError, load_settings


def run(*, placeholder_secrets: bool = False) -> Settings:
    """Evaluate the program for the current stack; bad config stops it before any resource is registered."""
    stack = pulumi.get_stack()
    raw, secret_keys = read_config()
    try:
        settings = load_settings(stack, raw, secret_keys, placeholder_secrets=placeholder_secrets)
    except SettingsError as error:
        # RunError ends the program with the message alone, no traceback.
        raise pulumi.RunError(str(error)) from None
    compose(settings)
    return settings


def compose(settings: Settings) -> None:
    """Register the stack's resources for its target and export its outputs."""
    # Each target's modules import only their own provider SDK, so a stack pays for what it uses.
    if settings.target == "docker":
        from infra.targets.docker import compose_docker

        compose_docker(settings)
    elif settings.target == "koyeb":
        from infra.targets.koyeb import compose_koyeb

        compose_koyeb(settings)
    else:
        from infra.targets.kubernetes import compose_kubernetes

        compose_kubernetes(settings)
    # pulumi_cloudflare takes seconds to import: only stacks with the edge pay for it.
    if settings.edge.enabled:
        from infra.targets.cloudflare import compose_edge

        compose_edge(settings)
