"""Synthetic catalogs of any size, shaped like the default one: mostly stateless, some stateful, some secrets."""

from __future__ import annotations

import json
from typing import Any

from infra.settings import PROJECT
from infra.stack_files import read_stack_config


def service(index: int) -> dict[str, Any]:
    body: dict[str, Any] = {
        "build": {"server": "everything"},
        "transport": "stdio",
        "bridge": {},
        "port": 8000,
        "tier": ("small", "medium", "large")[index % 3],
        "env": {"LOG_LEVEL": "info", "SERVICE_INDEX": str(index)},
    }
    if index % 5 == 0:
        body |= {
            "stateful": True,
            "volumes": [{"volume": "memory-graph", "mountPath": f"/data/graph-{index}"}],
            "replicas": {"min": 1, "max": 1},
        }
    else:
        body |= {"replicas": {"min": 3, "max": 10}, "sessions": "stateless"}
    if index % 4 == 0:
        body["secretEnv"] = ["API_TOKEN"]
    return body


def catalog(size: int) -> dict[str, dict[str, Any]]:
    return {f"svc-{index:04d}": service(index) for index in range(size)}


def secrets(size: int) -> dict[str, dict[str, str]]:
    return {name: {"API_TOKEN": f"token-{name}"} for name, body in catalog(size).items() if body.get("secretEnv")}


def secret_config() -> dict[str, Any]:
    """Every secret a stack of any target may need, with bench-only values."""
    return {
        "monitoringSecrets": {"grafanaAdminPassword": "bench-only"},
        "backupSecrets": {"password": "bench-backup-password"},
        "edgeSecrets": {"cloudflareApiToken": "bench-only", "clientTokenHashes": {"bench": "0" * 64}},
    }


def stack_values(stack: str, size: int) -> tuple[dict[str, str], frozenset[str]]:
    """`stack`'s config with a generated catalog of `size` services and its secrets, as the engine hands it over."""
    config = read_stack_config(stack)
    values = dict(config.values)
    values[f"{PROJECT}:services"] = json.dumps(catalog(size))
    values[f"{PROJECT}:serviceOverrides"] = "{}"
    values[f"{PROJECT}:serviceSecrets"] = json.dumps(secrets(size))
    values |= {f"{PROJECT}:{key}": json.dumps(value) for key, value in secret_config().items()}
    secret_keys = {f"{PROJECT}:{key}" for key in ("serviceSecrets", *secret_config())}
    return values, config.secret_keys | secret_keys
