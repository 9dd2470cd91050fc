"""One conforming container, and one per rule of the pack that breaks only that rule (tests/engine)."""

from __future__ import annotations

import pulumi
import pulumi_docker as docker

from tests.engine.violation_cases import CONFORMING, VIOLATIONS

provider = docker.Provider("docker")
options = pulumi.ResourceOptions(provider=provider)
docker.Container("conforming", name="conforming", **CONFORMING, opts=options)
for rule, change in VIOLATIONS.items():
    docker.Container(rule, name=rule, **{**CONFORMING, **change}, opts=options)
docker.RemoteImage("unpinned-pull", name="docker.io/library/busybox:latest", opts=options)
# Production rules apply to the stack named prod.
if pulumi.get_stack() == "prod":
    docker.Volume("unprotected-volume", name="unprotected", opts=options)
