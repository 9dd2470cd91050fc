"""The suite's NetworkPolicies: a namespace-wide default deny and one policy per service from the catalog."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components.render import network_policy as render
from components.render.labels import managed
from components.spec import ServiceSpec


@dataclass(frozen=True)
class NetworkPoliciesArgs:
    namespace: pulumi.Input[str]
    """Namespace the policies govern (the suite's namespace)."""
    catalog: Sequence[ServiceSpec]
    """Every service of the stack: each one's policy also reads the others' `callers`."""
    peers: render.PolicyPeers
    """The gateway's proxies, monitoring and DNS pods outside the namespace."""
    backup: BackupPods | None = None
    """The backup jobs' pods and their repository, when the stack backs up; None: no backup policy."""


@dataclass(frozen=True)
class BackupPods:
    pod_labels: Mapping[str, str]
    """Labels every backup job pod carries."""
    restore_pod_labels: Mapping[str, str]
    """Labels every restore job pod carries (`python -m infra restore`): they need the same repository."""
    repository: str
    """restic S3 repository the pods upload to."""


class NetworkPolicies(pulumi.ComponentResource):
    """Default deny for the namespace, then per service exactly the traffic its spec declares."""

    def __init__(self, name: str, args: NetworkPoliciesArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mcp-suite:kubernetes:NetworkPolicies", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        labels = managed()
        k8s.networking.v1.NetworkPolicy(
            f"{name}-default-deny",
            metadata={"name": "default-deny", "namespace": args.namespace, "labels": labels},
            spec=render.default_deny_spec(),
            opts=child,
        )
        self.policy_names: list[str] = ["default-deny"]
        """Names of the policies, known before they exist: no Output per policy to await."""
        for spec, policy_spec in render.service_policy_specs(args.catalog, args.peers):
            k8s.networking.v1.NetworkPolicy(
                f"{name}-{spec.name}",
                metadata={"name": spec.name, "namespace": args.namespace, "labels": labels},
                spec=policy_spec,
                opts=child,
            )
            self.policy_names.append(spec.name)
        if args.backup is not None:
            # Restores read from the repository the backups write to: under the default deny, a restore pod
            # without a policy of its own could never reach it.
            for policy, pod_labels in (
                ("backups", args.backup.pod_labels),
                ("restores", args.backup.restore_pod_labels),
            ):
                k8s.networking.v1.NetworkPolicy(
                    f"{name}-{policy}",
                    metadata={"name": policy, "namespace": args.namespace, "labels": labels},
                    spec=render.backup_policy_spec(pod_labels, args.backup.repository, args.peers),
                    opts=child,
                )
                self.policy_names.append(policy)
        self.register_outputs({"policy_names": self.policy_names})
