"""`Settings`: everything one stack needs, validated, with the narrowed views its target composes from."""

from __future__ import annotations

from pydantic import SecretStr

from components.spec import DEFAULT_UID, ServiceSpec, SpecModel, VolumePurpose
from infra.settings.backup import BackupSecrets, BackupSettings
from infra.settings.edge import EdgeDeployment, EdgeSecrets, EdgeSettings
from infra.settings.images import ImagesSettings
from infra.settings.koyeb import KoyebSettings
from infra.settings.monitoring import MonitoringSettings
from infra.settings.network import NetworkSettings
from infra.settings.platforms import DockerSettings, KubernetesSettings
from infra.settings.storage import StorageSettings
from infra.settings.targets import TARGETS, TargetName


class ClusterPlan(SpecModel):
    """What the kubernetes target needs that settings made required there."""

    ingress_host: str
    """Public hostname the Ingress serves (the edge's origin)."""
    backup_repository: str | None
    """Base S3 restic repository; None exactly when the stack backs nothing up."""


class Settings(SpecModel):
    """Everything one stack needs, validated."""

    stack: str
    target: TargetName
    protect_stateful_data: bool
    """Protect and retain stateful storage on delete (prod)."""
    require_image_digests: bool = False
    """Every service image must carry an @sha256 digest; the policy pack enforces the same on the stack."""
    services: tuple[ServiceSpec, ...]
    """The catalog with this stack's overrides, minus `disabled_services`, sorted by name."""
    disabled_services: list[str]
    """Catalog services this stack leaves out."""
    service_secrets: dict[str, dict[str, SecretStr]]
    """Secret environment values per service, from the `serviceSecrets` config secret."""
    images: ImagesSettings
    docker: DockerSettings
    kubernetes: KubernetesSettings
    storage: StorageSettings
    backup: BackupSettings
    backup_secrets: BackupSecrets | None
    """None exactly when the stack backs nothing up (see `backs_up`)."""
    koyeb: KoyebSettings
    network: NetworkSettings
    monitoring: MonitoringSettings
    monitoring_secrets: dict[str, SecretStr]
    """Grafana's admin password and receiver credentials, from the `monitoringSecrets` config secret."""
    edge: EdgeSettings
    edge_secrets: EdgeSecrets
    cluster: ClusterPlan | None = None
    """Set exactly on a target with an ingress host (kubernetes)."""
    edge_deployment: EdgeDeployment | None = None
    """Set exactly when the edge is enabled."""

    @property
    def name_prefix(self) -> str:
        """Prefix of names that must be unique on a shared Docker host or cluster."""
        return f"mcp-{self.stack}"

    @property
    def backs_up(self) -> bool:
        """Backups are on and the target has volumes (settings then hold the repository password)."""
        return self.backup.enabled and TARGETS[self.target].has_volumes

    @property
    def koyeb_app_name(self) -> str:
        return self.koyeb.app_name or self.name_prefix

    @property
    def ingress_tls_secret(self) -> str:
        return self.network.tls.secret_name or f"{self.name_prefix}-ingress-tls"

    def monitoring_secret(self, name: str) -> str | None:
        secret = self.monitoring_secrets.get(name)
        return secret.get_secret_value() if secret is not None else None

    def secret_value(self, service: str, env_name: str) -> str:
        return self.service_secrets[service][env_name].get_secret_value()

    def writer_of(self, purpose: VolumePurpose) -> ServiceSpec | None:
        """The service that mounts the volume writable (else any that mounts it), or None if none does."""
        mounting = [
            (mount.read_only, spec) for spec in self.services for mount in spec.volumes if mount.volume == purpose
        ]
        return min(mounting, key=lambda entry: entry[0])[1] if mounting else None

    def volume_owner(self, purpose: VolumePurpose) -> int:
        """UID that owns the volume's files: its writer's, else the default service UID."""
        writer = self.writer_of(purpose)
        return writer.run_as_user if writer is not None else DEFAULT_UID
