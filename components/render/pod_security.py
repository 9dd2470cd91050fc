"""Pod Security `restricted` settings: every pod and container the suite runs on Kubernetes uses these.

The one source of the suite's Kubernetes hardening: the pod base (`restricted_pod_spec`), the container security
context (`restricted_container_security`) and the namespaces' Pod Security labels (`namespace_labels`). Renderers
take them from here rather than writing their own, so a setting added here reaches every workload.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

from components.render import labels

if TYPE_CHECKING:
    from pulumi_kubernetes.core.v1 import (
        ContainerArgsDict,
        PodSecurityContextArgsDict,
        PodSpecArgsDict,
        SecurityContextArgsDict,
        VolumeArgsDict,
    )

PodSecurityLevel = Literal["restricted", "baseline", "privileged"]


def restricted_container_security(uid: int) -> SecurityContextArgsDict:
    """One container: runs as `uid`, read-only root, no privilege to gain, every capability dropped."""
    return {
        "allow_privilege_escalation": False,
        "privileged": False,
        "read_only_root_filesystem": True,
        "run_as_non_root": True,
        "run_as_user": uid,
        "run_as_group": uid,
        "capabilities": {"drop": ["ALL"]},
        "seccomp_profile": {"type": "RuntimeDefault"},
    }


def restricted_pod_security(
    uid: int, *, mounts_claims: bool = True, fs_group_change_policy: str | None = None
) -> PodSecurityContextArgsDict:
    """The pod around such containers; with `mounts_claims`, fsGroup `uid` makes its volume claims writable by it
    (and `fs_group_change_policy` says when the kubelet re-owns them)."""
    security: PodSecurityContextArgsDict = {
        "run_as_non_root": True,
        "run_as_user": uid,
        "run_as_group": uid,
        "seccomp_profile": {"type": "RuntimeDefault"},
    }
    if mounts_claims:
        security["fs_group"] = uid
        if fs_group_change_policy is not None:
            security["fs_group_change_policy"] = fs_group_change_policy
    return security


def restricted_pod_spec(
    uid: int,
    containers: Sequence[ContainerArgsDict],
    volumes: Sequence[VolumeArgsDict],
    *,
    mounts_claims: bool = True,
    fs_group_change_policy: str | None = None,
) -> PodSpecArgsDict:
    """The pod base every pod of the suite starts from; a renderer adds its own fields to the result.

    No service account token (no workload of the suite calls the API server), no environment variables for every
    Service in the namespace (they leak the namespace's layout and can shadow a server's own settings), and the
    `restricted` pod security context of `restricted_pod_security`. The containers bring their own security
    context, `restricted_container_security`.
    """
    return {
        "automount_service_account_token": False,
        "enable_service_links": False,
        "security_context": restricted_pod_security(
            uid, mounts_claims=mounts_claims, fs_group_change_policy=fs_group_change_policy
        ),
        "containers": list(containers),
        "volumes": list(volumes),
    }


def namespace_labels(enforce: PodSecurityLevel) -> dict[str, str]:
    """Labels of a namespace of the suite: the Pod Security level it enforces, while warnings and audit stay at
    `restricted` whatever it enforces, so a pod that needs more than `restricted` is always reported."""
    return {
        **labels.part_of(),
        "pod-security.kubernetes.io/enforce": enforce,
        # `latest`: the checks follow the cluster's version, so a new Kubernetes release tightens them too.
        "pod-security.kubernetes.io/enforce-version": "latest",
        "pod-security.kubernetes.io/warn": "restricted",
        "pod-security.kubernetes.io/audit": "restricted",
    }
