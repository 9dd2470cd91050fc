"""Container standards for every Kubernetes workload, whatever creates it: the pod spec of any Pod, Deployment,
StatefulSet, DaemonSet, ReplicaSet, Job or CronJob, each of its containers, init containers included."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from .images import image_problems
from .props import Resource, items, mapping, path
from .rules import RuleContext
from .secrets import looks_secret

OBJECT_TYPE = re.compile(r"^kubernetes:(?!helm\.sh/)[^:]+:(?P<kind>[A-Za-z]+)$")
POD_SPEC_PATHS: dict[str, tuple[str, ...]] = {
    "Pod": ("spec",),
    "PodTemplate": ("template", "spec"),
    "Deployment": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "ReplicaSet": ("spec", "template", "spec"),
    "ReplicationController": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
}
RUN_TO_COMPLETION = frozenset({"Job", "CronJob"})
CONTAINER_LISTS = ("initContainers", "containers", "ephemeralContainers")
ALLOWED_ADDED_CAPABILITIES = frozenset({"NET_BIND_SERVICE"})
RESOURCE_FIELDS = (("requests", "cpu"), ("requests", "memory"), ("limits", "cpu"), ("limits", "memory"))


def kind(resource: Resource) -> str | None:
    match = OBJECT_TYPE.match(resource.type)
    return match.group("kind") if match else None


def pod_spec(resource: Resource) -> Mapping[str, Any] | None:
    spec_path = POD_SPEC_PATHS.get(kind(resource) or "")
    if spec_path is None:
        return None
    return mapping(path(resource.props, *spec_path))


def containers(pod: Mapping[str, Any], lists: tuple[str, ...] = CONTAINER_LISTS) -> list[tuple[str, Mapping[str, Any]]]:
    """(label, container) for every container of the pod, labelled for messages: `container 'web'`."""
    found = []
    for list_name in lists:
        for container in items(pod.get(list_name)):
            noun = "container" if list_name == "containers" else list_name.removesuffix("s").replace("C", " c")
            found.append((f"{noun} '{mapping(container).get('name', '?')}'", mapping(container)))
    return found


def _each_container(resource: Resource) -> list[tuple[str, Mapping[str, Any], Mapping[str, Any]]]:
    pod = pod_spec(resource)
    if pod is None:
        return []
    return [(label, container, pod) for label, container in containers(pod)]


def images_pinned(resource: Resource, context: RuleContext) -> list[str]:
    problems = []
    for label, container, _ in _each_container(resource):
        image = container.get("image")
        if not isinstance(image, str) or not image:
            problems.append(f"{label} names no image; set a pinned image")
            continue
        problems += [
            f"{label}: {problem}" for problem in image_problems(image, digests_required=context.digests_required)
        ]
    return problems


def _effective(container: Mapping[str, Any], pod: Mapping[str, Any], *keys: str) -> Any:
    """A securityContext field as the kubelet applies it: the container's value, else the pod's."""
    own = path(container, "securityContext", *keys)
    return own if own is not None else path(pod, "securityContext", *keys)


def non_root(resource: Resource, context: RuleContext) -> list[str]:
    problems = []
    for label, container, pod in _each_container(resource):
        if _effective(container, pod, "runAsNonRoot") is not True:
            problems.append(f"{label} may run as root; set securityContext.runAsNonRoot: true")
        if _effective(container, pod, "runAsUser") == 0:
            problems.append(f"{label} runs as UID 0; set securityContext.runAsUser to a non-root UID")
    return problems


def read_only_root_filesystem(resource: Resource, context: RuleContext) -> list[str]:
    return [
        f"{label} has a writable root filesystem; set securityContext.readOnlyRootFilesystem: true "
        "and mount an emptyDir where it must write"
        for label, container, _ in _each_container(resource)
        if path(container, "securityContext", "readOnlyRootFilesystem") is not True
    ]


def capabilities_dropped(resource: Resource, context: RuleContext) -> list[str]:
    problems = []
    for label, container, _ in _each_container(resource):
        capabilities = mapping(path(container, "securityContext", "capabilities"))
        if "ALL" not in items(capabilities.get("drop")):
            problems.append(f"{label} keeps default capabilities; set securityContext.capabilities.drop: [ALL]")
        added = sorted(set(items(capabilities.get("add"))) - ALLOWED_ADDED_CAPABILITIES)
        if added:
            problems.append(f"{label} adds capabilities {added}; only NET_BIND_SERVICE may be added")
    return problems


def no_privilege_escalation(resource: Resource, context: RuleContext) -> list[str]:
    problems = []
    for label, container, _ in _each_container(resource):
        if path(container, "securityContext", "allowPrivilegeEscalation") is not False:
            problems.append(f"{label} may escalate privileges; set securityContext.allowPrivilegeEscalation: false")
        if path(container, "securityContext", "privileged") is True:
            problems.append(f"{label} is privileged; remove securityContext.privileged")
    return problems


def seccomp_runtime_default(resource: Resource, context: RuleContext) -> list[str]:
    return [
        f"{label} runs {'without a seccomp profile' if profile is None else f'seccomp profile {profile!r}'}; "
        "set securityContext.seccompProfile.type: RuntimeDefault (on the pod or the container)"
        for label, container, pod in _each_container(resource)
        if (profile := _effective(container, pod, "seccompProfile", "type")) != "RuntimeDefault"
    ]


def resources_bounded(resource: Resource, context: RuleContext) -> list[str]:
    problems = []
    for label, container, _ in _each_container(resource):
        missing = [
            f"{group}.{name}" for group, name in RESOURCE_FIELDS if path(container, "resources", group, name) is None
        ]
        if missing:
            problems.append(f"{label} has no {', '.join(missing)}; set CPU and memory requests and limits")
    return problems


def probes_present(resource: Resource, context: RuleContext) -> list[str]:
    pod = pod_spec(resource)
    if pod is None or kind(resource) in RUN_TO_COMPLETION:
        return []
    return [
        f"{label} has no {probe}; probe the health endpoint"
        for label, container in containers(pod, ("containers",))
        for probe in ("livenessProbe", "readinessProbe")
        if not mapping(container.get(probe))
    ]


def no_host_access(resource: Resource, context: RuleContext) -> list[str]:
    pod = pod_spec(resource)
    if pod is None:
        return []
    problems = [
        f"pod sets {field}: true; remove it" for field in ("hostNetwork", "hostPID", "hostIPC") if pod.get(field)
    ]
    problems += [
        f"volume '{mapping(volume).get('name', '?')}' is a hostPath; use a PersistentVolumeClaim or an emptyDir"
        for volume in items(pod.get("volumes"))
        if mapping(volume).get("hostPath") is not None
    ]
    problems += [
        f"{label} binds host port {mapping(port).get('hostPort')}; expose it through a Service instead"
        for label, container in containers(pod)
        for port in items(container.get("ports"))
        if mapping(port).get("hostPort")
    ]
    return problems


def no_plaintext_secret_env(resource: Resource, context: RuleContext) -> list[str]:
    if kind(resource) == "ConfigMap":
        return [
            f"ConfigMap key '{key}' looks like a secret; ConfigMaps are plain text: put it in a Secret "
            "(a service's `secretEnv`)"
            for key, value in sorted(mapping(resource.props.get("data")).items())
            if looks_secret(key, value)
        ]
    return [
        f"{label} env '{mapping(entry).get('name')}' holds a literal secret value; reference a Secret "
        "(valueFrom.secretKeyRef or envFrom.secretRef)"
        for label, container, _ in _each_container(resource)
        for entry in items(container.get("env"))
        if looks_secret(str(mapping(entry).get("name", "")), mapping(entry).get("value"))
    ]
