"""Pure renderers of Docker container settings: a service's, functions of its ServiceSpec, and the hardening every
container shares.

The hardening is typed once (`Hardening`) and reaches Docker two ways: unpacked into `docker.Container` for the
containers Pulumi runs, and as `docker run` flags (`run_flags`) for the one-off containers operators run.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, TypedDict

from components.render import labels as common_labels
from components.render.bridge import HEALTHCHECK_SCRIPT, NODE
from components.render.kubernetes_workload import labels as workload_labels
from components.spec import ServiceSpec

if TYPE_CHECKING:
    from pulumi_docker import ContainerCapabilitiesArgsDict, ContainerHealthcheckArgsDict

TMPFS_OPTIONS = "rw,noexec,nosuid,nodev,size=64m"
LOG_OPTIONS = {"max-size": "10m", "max-file": "3"}
STOP_GRACE_SECONDS = 30
"""How long a service's container has to stop before Docker kills it: the bridge drains for its drain window, then
finishes the requests in flight (images/bridge/src/bridge.js)."""


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


def run_flags(hardening: Hardening) -> list[str]:
    """`docker run` flags that apply `hardening` as `docker.Container` would, key by key, so a container started by
    hand is locked down exactly like the ones Pulumi runs. A key without a flag here fails loudly, not silently."""
    flags: list[str] = []
    for key, value in hardening.items():
        if key == "read_only":
            flags += ["--read-only"] if value is True else []
        elif key == "tmpfs":
            flags += _repeated("--tmpfs", [f"{path}:{options}" for path, options in _text_map(value).items()])
        elif key == "capabilities":
            if not isinstance(value, Mapping):
                raise TypeError(f"`docker run` flags need a map of capability lists, not {value!r}")
            capabilities = value
            flags += _repeated("--cap-drop", _texts(capabilities.get("drops", [])))
            flags += _repeated("--cap-add", _texts(capabilities.get("adds", [])))
        elif key == "security_opts":
            flags += _repeated("--security-opt", _texts(value))
        elif key == "restart":
            flags += ["--restart", _text(value)]
        elif key == "log_driver":
            flags += ["--log-driver", _text(value)]
        elif key == "log_opts":
            flags += _repeated("--log-opt", [f"{name}={option}" for name, option in _text_map(value).items()])
        else:
            raise ValueError(f"no `docker run` flag for the hardening key {key!r}")
    return flags


def _repeated(flag: str, values: Sequence[str]) -> list[str]:
    return [item for value in values for item in (flag, value)]


# A Hardening's type admits Pulumi Outputs, which have no text before deployment; the functions above only ever put
# known values in one, and a command line needs them, so anything else is an error rather than a wrong flag.
def _text(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"a `docker run` flag needs a known string, not {value!r}")
    return value


def _texts(value: object) -> list[str]:
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise TypeError(f"`docker run` flags need a list of known strings, not {value!r}")
    return [_text(item) for item in value]


def _text_map(value: object) -> dict[str, str]:
    if not isinstance(value, Mapping):
        raise TypeError(f"`docker run` flags need a map of known strings, not {value!r}")
    return {_text(key): _text(item) for key, item in value.items()}


class Limits(TypedDict):
    """`docker.Container` keyword arguments that bound memory (MiB) and CPU; unpack them into the call."""

    memory: int
    memory_reservation: int
    memory_swap: int
    cpus: str


def limits(*, memory_mib: int, reservation_mib: int, cores: float) -> Limits:
    """Each value in the form the provider reads back from Docker, so that an unchanged container previews no change:
    a whole number of cores reads back as `1.0`, and an unset swap limit as twice the memory. Swap is set equal to
    the memory, which allows none: the memory limit is the container's real bound."""
    return {
        "memory": memory_mib,
        "memory_reservation": reservation_mib,
        "memory_swap": memory_mib,
        "cpus": cpu_text(cores),
    }


def cpu_text(cores: float) -> str:
    """`1.0`, `0.5`: the provider's decimal form of Docker's nano-CPUs."""
    text = f"{cores:g}"
    return text if "." in text else f"{text}.0"


def health_check(
    tests: Sequence[str], *, interval_s: int, timeout_s: int, start_period_s: int, retries: int = 3
) -> ContainerHealthcheckArgsDict:
    """A Docker health check, its durations in the form the provider reads back (`1m0s`, not `60s`)."""
    return {
        "tests": list(tests),
        "interval": go_duration(interval_s),
        "timeout": go_duration(timeout_s),
        "start_period": go_duration(start_period_s),
        "retries": retries,
    }


def go_duration(seconds: int) -> str:
    """Whole seconds as Go's time.Duration prints them: `3s`, `1m0s`, `1h30m0s`."""
    minutes, rest = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours}h{minutes}m{rest}s"
    if minutes:
        return f"{minutes}m{rest}s"
    return f"{rest}s"


def healthcheck(spec: ServiceSpec) -> ContainerHealthcheckArgsDict:
    """The spec's own check, else the suite image's: its images have no shell or wget, so Node.js asks."""
    tests = spec.docker_healthcheck or [
        "CMD",
        NODE,
        HEALTHCHECK_SCRIPT,
        f"http://127.0.0.1:{spec.port}{spec.health_path}",
    ]
    return health_check(tests, interval_s=10, timeout_s=3, start_period_s=60)


def plain_env(spec: ServiceSpec) -> list[str]:
    return [f"{key}={value}" for key, value in sorted(spec.env.items())]


GENERATED_SUFFIX_REGEX = "(?:-" + "[0-9a-f]" * 7 + ")?"
"""The suffix Pulumi gives the name of a container replaced side by side (`mcp-dev-everything-1a2b3c4`), as an
optional regex group, so whatever reads a service from a container's name reads both forms. No braces, so it can
sit in a `str.format` template."""


def replaced_side_by_side(spec: ServiceSpec) -> bool:
    """Whether a change may start the service's new container before its old one stops, so the change costs no
    request: neither keeps anything the other needs. A stateful service's volume must have one writer at a time, and
    sessions kept in one process's memory would be lost to requests that reach the other container; those services
    are replaced by stopping the old container first."""
    return not spec.stateful and spec.sessions != "stateful"


def labels(spec: ServiceSpec, stack: str) -> dict[str, str]:
    return {**workload_labels(spec), common_labels.STACK_KEY: stack}


def service_limits(spec: ServiceSpec) -> Limits:
    """Memory and CPU bounds from the tier."""
    resources = spec.resources
    return limits(
        memory_mib=resources.memory_limit_mib,
        reservation_mib=resources.memory_request_mib,
        cores=resources.cpu_limit,
    )
