"""Pure renderers of a service's Docker container settings: functions of a ServiceSpec."""

from __future__ import annotations

from typing import TYPE_CHECKING

from components.render.bridge import runtime_env
from components.render.kubernetes_workload import labels as workload_labels
from components.spec import ServiceSpec

if TYPE_CHECKING:
    from pulumi_docker import ContainerHealthcheckArgsDict

TMPFS_OPTIONS = "rw,noexec,nosuid,nodev,size=64m"
LOG_OPTIONS = {"max-size": "10m", "max-file": "3"}


def healthcheck(spec: ServiceSpec) -> ContainerHealthcheckArgsDict:
    tests = spec.docker_healthcheck or [
        "CMD",
        "wget",
        "-q",
        "-O",
        "/dev/null",
        f"http://127.0.0.1:{spec.port}{spec.health_path}",
    ]
    return {"tests": tests, "interval": "10s", "timeout": "3s", "start_period": "60s", "retries": 3}


def plain_env(spec: ServiceSpec) -> list[str]:
    env = {**runtime_env(spec), **spec.env}
    return [f"{key}={value}" for key, value in sorted(env.items())]


def labels(spec: ServiceSpec, stack: str) -> dict[str, str]:
    return {**workload_labels(spec), "mcp-suite/stack": stack}


def memory_mib(spec: ServiceSpec) -> tuple[int, int]:
    """(reservation, limit) in MiB, from the tier."""
    return spec.resources.memory_request_mib, spec.resources.memory_limit_mib


def cpus(spec: ServiceSpec) -> str:
    return f"{spec.resources.cpu_limit:g}"
