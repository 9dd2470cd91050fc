"""One conforming container, and one per rule of the pack that breaks only that rule (tests/engine)."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_docker as docker

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

provider = docker.Provider("docker")
options = pulumi.ResourceOptions(provider=provider)
docker.Container("conforming", name="conforming", **CONFORMING, opts=options)
for rule, change in VIOLATIONS.items():
    docker.Container(rule, name=rule, **{**CONFORMING, **change}, opts=options)
docker.RemoteImage("unpinned-pull", name="docker.io/library/busybox:latest", opts=options)
# Production rules apply to the stack named prod.
if pulumi.get_stack() == "prod":
    docker.Volume("unprotected-volume", name="unprotected", opts=options)
