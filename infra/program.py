"""The Pulumi program: read settings once, then compose the stack's target.

`pulumi up` runs `run()` through `__main__.py`; `python -m infra render` runs the same function under mocks.
"""

from __future__ import annotations

import importlib

import pulumi

from infra.config_source import read_config
from infra.settings import TARGETS, Settings, SettingsError, load_settings


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
    # Each target's module imports only its own provider SDK, so a stack pays for what it uses.
    module, function = TARGETS[settings.target].compose.split(":")
    composed = getattr(importlib.import_module(module), function)(settings)
    # pulumi_cloudflare takes seconds to import: only stacks with the edge pay for it.
    if settings.edge_deployment is not None:
        from infra.targets.cloudflare import compose_edge
        from infra.targets.kubernetes import ClusterEntrance

        # Settings allow the edge on the kubernetes target only, whose composition returns its entrance.
        if not isinstance(composed, ClusterEntrance):
            raise TypeError(f"target {settings.target} has no cluster entrance for the edge")
        compose_edge(settings, settings.edge_deployment, composed)
