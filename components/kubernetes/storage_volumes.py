"""The suite's PersistentVolumeClaims, one per volume purpose."""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_kubernetes as k8s

from components.render import labels
from components.render.kubernetes_workload import volume_claim_name, volume_claim_spec
from components.spec import VolumePurpose


@dataclass(frozen=True)
class StorageVolumesArgs:
    namespace: str
    """Namespace of the claims."""
    name_prefix: str
    """Prefix of the claim names (`mcp-<stack>`)."""
    sizes: dict[VolumePurpose, str]
    """Requested size per purpose to create a claim for."""
    access_mode: str
    """Access mode of every claim."""
    storage_class: str | None
    """StorageClass; None means the cluster default."""
    protect: bool
    """Protect the claims and keep them on delete, so no destroy or rename removes data."""
    depends_on: list[pulumi.Resource] = field(default_factory=list)
    """Resources the claims need first, such as the namespace."""


class StorageVolumes(pulumi.ComponentResource):
    """One PersistentVolumeClaim per volume purpose."""

    def __init__(self, name: str, args: StorageVolumesArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mcp-suite:kubernetes:StorageVolumes", name, None, opts)
        data_opts = pulumi.ResourceOptions(
            parent=self, protect=args.protect, retain_on_delete=args.protect, depends_on=args.depends_on
        )
        self.claims: dict[str, k8s.core.v1.PersistentVolumeClaim] = {}
        for purpose, size in args.sizes.items():
            self.claims[purpose] = k8s.core.v1.PersistentVolumeClaim(
                f"{name}-{purpose}",
                metadata={
                    "name": volume_claim_name(args.name_prefix, purpose),
                    "namespace": args.namespace,
                    "labels": labels.volume(purpose),
                    # With a WaitForFirstConsumer storage class a claim binds only once its pod is scheduled,
                    # and the pod waits for the claim: awaiting "Bound" here would deadlock the update.
                    "annotations": {"pulumi.com/skipAwait": "true"},
                },
                spec=volume_claim_spec(size, args.access_mode, args.storage_class),
                opts=data_opts,
            )
        self.claim_names: list[str] = [volume_claim_name(args.name_prefix, purpose) for purpose in args.sizes]
        self.register_outputs({"claim_names": self.claim_names})
