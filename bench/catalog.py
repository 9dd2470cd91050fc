"""Synthetic catalogs of any size, shaped like the default one: mostly stateless, some stateful, some secrets."""

from __future__ import annotations

from typing import Any


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
