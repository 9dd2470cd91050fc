"""The `storage` section: one persistent volume per purpose."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from components.spec import SpecModel, VolumePurpose
from infra.settings.patterns import KUBE_QUANTITY

DEFAULT_VOLUME_SIZES: dict[VolumePurpose, str] = {
    "memory-graph": "5Gi",
    "filesystem": "20Gi",
    "logs": "5Gi",
    "snapshots": "20Gi",
    "task-queues": "2Gi",
}


class StorageSettings(SpecModel):
    """Persistent volumes, one per purpose."""

    storage_class: str | None = None
    """StorageClass of the PersistentVolumeClaims; unset means the cluster default."""
    access_mode: Literal["ReadWriteOnce", "ReadWriteOncePod", "ReadWriteMany"] = "ReadWriteOnce"
    """Access mode of the PersistentVolumeClaims."""
    sizes: dict[VolumePurpose, Annotated[str, Field(pattern=KUBE_QUANTITY)]] = Field(
        default_factory=lambda: dict(DEFAULT_VOLUME_SIZES)
    )
    """Requested size per volume purpose; purposes left out keep their default."""

    @model_validator(mode="before")
    @classmethod
    def _merge_default_sizes(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("sizes"), dict):
            return {**data, "sizes": {**DEFAULT_VOLUME_SIZES, **data["sizes"]}}
        return data
