"""Where raw config comes from at run time: the engine's config for this project, and which keys are secret."""

from __future__ import annotations

from pulumi.runtime import config as runtime_config

from infra.settings import PROJECT


def read_config() -> tuple[dict[str, str], frozenset[str]]:
    """All `mcp-suite:*` config values as the engine passed them (strings; objects as JSON) and the secret keys."""
    prefix = f"{PROJECT}:"
    # The language host sets both from the engine's request; PULUMI_CONFIG is the documented fallback.
    everything = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    values = {key: str(value) for key, value in everything.items() if key.startswith(prefix)}
    env_secret_keys = set(runtime_config.get_config_secret_keys_env())
    secret_keys = frozenset(key for key in values if runtime_config.is_config_secret(key) or key in env_secret_keys)
    return values, secret_keys
