"""Pure renderers of Docker container settings: a service's, functions of its ServiceSpec, and the hardening every
container shares."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, TypedDict

from components.render.bridge import runtime_env
from components.render.kubernetes_workload import labels as workload_labels
from components.spec import ServiceSpec

if TYPE_CHECKING:
    from pulumi_docker import ContainerCapabilitiesArgsDict, ContainerHealthcheckArgsDict

TMPFS_OPTIONS = "rw,noexec,nosuid,nodev,size=64m"
LOG_OPTIONS = {"max-size": "10m", "max-file": "3"}


class Hardening(TypedDict, total=False):
    """`docker.Container` keyword arguments that lock a container down; unpack them into the call
    (`docker.Container(..., **hardened())`), so strict mypy checks every key and value against the provider."""

    read_only: bool
    tmpfs: Mapping[str, str]
    capabilities: ContainerCapabilitiesArgsDict
    security_opts: Sequence[str]
    restart: str
    log_driver: str
    log_opts: Mapping[str, str]


def locked_down(*, added_capabilities: Sequence[str] = ()) -> Hardening:
    """Any container that runs a process: read-only root, every capability dropped but `added_capabilities`,
    no privilege gained through setuid binaries."""
    capabilities: ContainerCapabilitiesArgsDict = {"drops": ["ALL"]}
    if added_capabilities:
        capabilities["adds"] = list(added_capabilities)
    return {"read_only": True, "capabilities": capabilities, "security_opts": ["no-new-privileges:true"]}


def hardened(*, extra_tmpfs: Mapping[str, str] | None = None) -> Hardening:
    """A long-running container: `locked_down`, with a small non-executable /tmp (plus `extra_tmpfs`) as its only
    writable scratch space, restarted unless stopped, and logs capped at 3 files of 10 MB so it cannot fill the
    host's disk."""
    return {
        **locked_down(),
        "tmpfs": {"/tmp": TMPFS_OPTIONS, **(extra_tmpfs or {})},
        "restart": "unless-stopped",
        "log_driver": "json-file",
        "log_opts": LOG_OPTIONS,
    }


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
