"""The containers of the policy-violations fixture program (tests/engine/violations): one that meets every rule of
the pack, and one per rule that breaks only that rule. Data only: importing it registers nothing, unlike the
program, which registers resources as it is imported."""

from __future__ import annotations

from typing import Any

from components.render.docker_container import hardened

IMAGE = "docker.io/library/busybox:1.37.0"
CONFORMING: dict[str, Any] = {
    "image": IMAGE,
    "user": "10001:10001",
    "memory": 64,
    "memory_reservation": 32,
    "cpus": "0.1",
    "healthcheck": {"tests": ["CMD", "true"]},
    **hardened(),
}
VIOLATIONS: dict[str, dict[str, Any]] = {
    "images-pinned": {"image": "docker.io/library/busybox"},
    "non-root": {"user": "0:0"},
    "read-only-root-filesystem": {"read_only": False},
    "capabilities-dropped": {"capabilities": {"drops": ["NET_RAW"], "adds": ["SYS_ADMIN"]}},
    "no-privilege-escalation": {"security_opts": [], "privileged": True},
    "seccomp-runtime-default": {"security_opts": ["no-new-privileges:true", "seccomp=unconfined"]},
    "resources-bounded": {"memory": None, "memory_reservation": None, "cpus": None},
    "probes-present": {"healthcheck": None},
    "no-host-access": {"network_mode": "host"},
    "no-plaintext-secret-env": {"envs": ["API_TOKEN=0123456789abcdef0123456789abcdef"]},
}
