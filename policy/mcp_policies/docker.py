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


def _container(resource: Resource) -> Mapping[str, Any] | None:
    return resource.props if resource.type == CONTAINER else None


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
    props = _container(resource)
    if props is None:
        return []
    user = str(props.get("user") or "").split(":", 1)[0]
    return (
        []
        if user not in ROOT_USERS
        else [f"container runs as '{user or 'the image default'}'; set `user` to a non-root UID:GID"]
    )


def read_only_root_filesystem(resource: Resource, context: RuleContext) -> list[str]:
    props = _container(resource)
    if props is None or props.get("readOnly") is True:
        return []
    return ["container has a writable root filesystem; set `read_only: True` and a tmpfs where it must write"]


def capabilities_dropped(resource: Resource, context: RuleContext) -> list[str]:
    props = _container(resource)
    if props is None:
        return []
    capabilities = mapping(props.get("capabilities"))
    problems = []
    if "ALL" not in items(capabilities.get("drops")):
        problems.append("container keeps default capabilities; set capabilities drops: [ALL]")
    added = sorted(set(items(capabilities.get("adds"))) - ALLOWED_ADDED_CAPABILITIES)
    if added:
        problems.append(f"container adds capabilities {added}; only NET_BIND_SERVICE may be added")
    return problems


def no_privilege_escalation(resource: Resource, context: RuleContext) -> list[str]:
    props = _container(resource)
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
    props = _container(resource)
    if props is None:
        return []
    missing = [field for field in ("memoryReservation", "memory", "cpus") if not props.get(field)]
    if not missing:
        return []
    return [f"container has no {', '.join(missing)}; set a memory reservation and memory and CPU limits"]


def probes_present(resource: Resource, context: RuleContext) -> list[str]:
    props = _container(resource)
    if props is None:
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
    problems += [
        f"host path '{mapping(volume).get('hostPath')}' is mounted; use a named volume"
        for volume in items(props.get("volumes"))
        if mapping(volume).get("hostPath")
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
