"""Container standards for every local Docker container (`docker:index/container:Container`) and image pull."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .images import image_problems
from .props import Resource, items, mapping
from .rules import RuleContext
from .secrets import looks_secret

CONTAINER = "docker:index/container:Container"
REMOTE_IMAGE = "docker:index/remoteImage:RemoteImage"
LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})
ROOT_USERS = frozenset({"", "0", "root"})
ALLOWED_ADDED_CAPABILITIES = frozenset({"NET_BIND_SERVICE", "CAP_NET_BIND_SERVICE"})
ALLOWANCE_LABEL = "mcp-suite/policy-allowance"
"""Container label naming one of ALLOWANCES. The label alone waives nothing: the container must also have the
allowance's exact shape, and only the rules the allowance names are relaxed, only as far as it says."""
DOCKER_SOCKET_READER = "docker-socket-reader"
VOLUME_OWNERSHIP = "volume-ownership"
NO_PROBE_TOOL = "no-probe-tool"
READER_HOST_PATHS = frozenset({"/var/run/docker.sock", "/sys"})
ALLOWANCES = {
    DOCKER_SOCKET_READER: "dev's log and container-metrics collector (Alloy) runs as root to read the Docker socket "
    "(root:docker) and /sys, both mounted read-only; every capability stays dropped",
    VOLUME_OWNERSHIP: "a run-to-completion container with no network hands fresh volumes to their services' UIDs: "
    "root with CHOWN as its only capability",
    NO_PROBE_TOOL: "the image ships no shell or HTTP client to run a health check (distroless); Prometheus scrapes "
    "its `up` instead",
}


def _container(resource: Resource) -> Mapping[str, Any] | None:
    return resource.props if resource.type == CONTAINER else None


def _running_container(resource: Resource) -> Mapping[str, Any] | None:
    """A container that runs a process: one created with `start: false` only carries files (uploads) into a volume,
    so the rules about a running process do not apply to it."""
    props = _container(resource)
    return None if props is None or props.get("start") is False else props


def _runs_to_completion(props: Mapping[str, Any]) -> bool:
    return props.get("mustRun") is False and props.get("restart") in (None, "no")


def _capability_lists(props: Mapping[str, Any]) -> tuple[list[Any], list[Any]]:
    capabilities = mapping(props.get("capabilities"))
    return items(capabilities.get("drops")), items(capabilities.get("adds"))


def _fits(allowance: str, props: Mapping[str, Any]) -> bool:
    drops, adds = _capability_lists(props)
    host_volumes = [mapping(volume) for volume in items(props.get("volumes")) if mapping(volume).get("hostPath")]
    if allowance == DOCKER_SOCKET_READER:
        return (
            "ALL" in drops
            and not adds
            and all(v.get("hostPath") in READER_HOST_PATHS and v.get("readOnly") is True for v in host_volumes)
        )
    if allowance == VOLUME_OWNERSHIP:
        return (
            _runs_to_completion(props)
            and props.get("networkMode") == "none"
            and "ALL" in drops
            and set(adds) <= {"CHOWN"}
            and not host_volumes
        )
    return allowance == NO_PROBE_TOOL


def _allowances(props: Mapping[str, Any]) -> set[str]:
    """The allowances the container is labelled with (comma-separated) whose shape it has."""
    # Only the allowance label's value is read: another label's value may be unknown during a preview (computed
    # from another resource), and reading it would leave every rule that asks about allowances unable to judge.
    values = [
        mapping(label).get("value")
        for label in items(props.get("labels"))
        if mapping(label).get("label") == ALLOWANCE_LABEL
    ]
    listed = str(values[0] if values else "").split(",")
    return {allowance for allowance in listed if allowance in ALLOWANCES and _fits(allowance, props)}


def _security_opts(props: Mapping[str, Any]) -> set[str]:
    return {str(option).replace("=", ":") for option in items(props.get("securityOpts"))}


def images_pinned(resource: Resource, context: RuleContext) -> list[str]:
    if resource.type == REMOTE_IMAGE:
        return image_problems(str(resource.props.get("name", "")), digests_required=context.digests_required)
    props = _container(resource)
    if props is None:
        return []
    return image_problems(str(props.get("image", "")), digests_required=context.digests_required)


def non_root(resource: Resource, context: RuleContext) -> list[str]:
    props = _running_container(resource)
    if props is None:
        return []
    user = str(props.get("user") or "").split(":", 1)[0]
    if _allowances(props) & {DOCKER_SOCKET_READER, VOLUME_OWNERSHIP}:
        return []
    return (
        []
        if user not in ROOT_USERS
        else [f"container runs as '{user or 'the image default'}'; set `user` to a non-root UID:GID"]
    )


def read_only_root_filesystem(resource: Resource, context: RuleContext) -> list[str]:
    props = _running_container(resource)
    if props is None or props.get("readOnly") is True:
        return []
    return ["container has a writable root filesystem; set `read_only: True` and a tmpfs where it must write"]


def capabilities_dropped(resource: Resource, context: RuleContext) -> list[str]:
    props = _running_container(resource)
    if props is None:
        return []
    capabilities = mapping(props.get("capabilities"))
    problems = []
    if "ALL" not in items(capabilities.get("drops")):
        problems.append("container keeps default capabilities; set capabilities drops: [ALL]")
    allowed = ALLOWED_ADDED_CAPABILITIES | ({"CHOWN"} if VOLUME_OWNERSHIP in _allowances(props) else set())
    added = sorted(set(items(capabilities.get("adds"))) - allowed)
    if added:
        problems.append(f"container adds capabilities {added}; only NET_BIND_SERVICE may be added")
    return problems


def no_privilege_escalation(resource: Resource, context: RuleContext) -> list[str]:
    props = _running_container(resource)
    if props is None:
        return []
    problems = []
    if not _security_opts(props) & {"no-new-privileges:true", "no-new-privileges"}:
        problems.append("container may gain privileges; add security_opts 'no-new-privileges:true'")
    if props.get("privileged") is True:
        problems.append("container is privileged; remove `privileged`")
    return problems


def seccomp_runtime_default(resource: Resource, context: RuleContext) -> list[str]:
    props = _container(resource)
    if props is None:
        return []
    # Docker applies its default seccomp profile unless told otherwise.
    custom = sorted(option for option in _security_opts(props) if option.startswith("seccomp:"))
    return [f"container overrides the default seccomp profile with '{option}'; remove it" for option in custom]


def resources_bounded(resource: Resource, context: RuleContext) -> list[str]:
    props = _running_container(resource)
    if props is None:
        return []
    missing = [field for field in ("memoryReservation", "memory", "cpus") if not props.get(field)]
    if not missing:
        return []
    return [f"container has no {', '.join(missing)}; set a memory reservation and memory and CPU limits"]


def probes_present(resource: Resource, context: RuleContext) -> list[str]:
    props = _running_container(resource)
    if props is None:
        return []
    # A container that runs to completion has no steady state to check.
    if _runs_to_completion(props) or NO_PROBE_TOOL in _allowances(props):
        return []
    tests = items(mapping(props.get("healthcheck")).get("tests"))
    if tests and tests[0] != "NONE":
        return []
    return ["container has no health check; set `healthcheck` against its health endpoint"]


def no_host_access(resource: Resource, context: RuleContext) -> list[str]:
    props = _container(resource)
    if props is None:
        return []
    problems = [
        f"container shares the host's {noun} ({field}: host); remove it"
        for field, noun in (("networkMode", "network"), ("pidMode", "process namespace"), ("ipcMode", "IPC"))
        if props.get(field) == "host"
    ]
    problems += [
        f"port {mapping(port).get('internal')} is published on '{mapping(port).get('ip') or '0.0.0.0'}'; "
        "publish only on 127.0.0.1 or ::1"
        for port in items(props.get("ports"))
        if mapping(port).get("ip") not in LOOPBACK
    ]
    # Only the allowance's own host paths, read-only (its shape check guarantees both).
    allowed_paths = READER_HOST_PATHS if DOCKER_SOCKET_READER in _allowances(props) else frozenset()
    problems += [
        f"host path '{mapping(volume).get('hostPath')}' is mounted; use a named volume"
        for volume in items(props.get("volumes"))
        if mapping(volume).get("hostPath") and mapping(volume).get("hostPath") not in allowed_paths
    ]
    problems += [
        f"host path '{mapping(mount).get('source')}' is bind-mounted; use a named volume"
        for mount in items(props.get("mounts"))
        if mapping(mount).get("type") == "bind"
    ]
    return problems


def no_plaintext_secret_env(resource: Resource, context: RuleContext) -> list[str]:
    props = _container(resource)
    if props is None or "envs" in resource.additional_secret_outputs:
        return []
    names = sorted(
        name
        for name, _, value in (str(entry).partition("=") for entry in items(props.get("envs")))
        if looks_secret(name, value)
    )
    if not names:
        return []
    return [
        f"env {names} carry secrets but `envs` is not a secret output, so state keeps them in plain text; "
        "register the container with additional_secret_outputs=['envs']"
    ]
