"""Pod Security `restricted` settings: every pod and container the suite runs on Kubernetes uses these."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pulumi_kubernetes.core.v1 import PodSecurityContextArgsDict, SecurityContextArgsDict


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


def restricted_pod_security(uid: int, *, mounts_claims: bool = True) -> PodSecurityContextArgsDict:
    """The pod around such containers; with `mounts_claims`, fsGroup `uid` makes its volume claims writable by it."""
    security: PodSecurityContextArgsDict = {
        "run_as_non_root": True,
        "run_as_user": uid,
        "run_as_group": uid,
        "seccomp_profile": {"type": "RuntimeDefault"},
    }
    if mounts_claims:
        security["fs_group"] = uid
    return security
