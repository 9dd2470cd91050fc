"""The `backup` and `backupSecrets` sections: scheduled restic backups of the volumes."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, SecretStr, field_validator

from components.render.backup import RESTIC_IMAGE
from components.spec import PinnedImage, SpecModel, VolumePurpose
from infra.settings.keys import ConfigValues
from infra.settings.patterns import CRON_FIELD, SECRET_PLACEHOLDER
from infra.settings.problems import Problem

BACKED_UP_BY_DEFAULT: tuple[VolumePurpose, ...] = ("memory-graph", "filesystem", "snapshots", "task-queues")


class BackupSettings(SpecModel):
    """Scheduled restic backups of the suite's volumes (see docs/backup-restore.md)."""

    enabled: bool = True
    """Back up the volumes in `volumes` on `schedule`."""
    schedule: Annotated[str, Field(pattern=rf"^{CRON_FIELD}( {CRON_FIELD}){{4}}$")] = "30 2 * * *"
    """Cron schedule in UTC. Docker runs daily (`M H * * *`) or hourly (`M * * * *`) schedules only."""
    repository: Annotated[str, Field(pattern=r"^s3:\S+$")] | None = None
    """Base restic repository, `s3:https://<endpoint>/<bucket>/<prefix>`; each volume gets `<base>/<purpose>`.
    Required on Kubernetes; unset on Docker means a local named volume (`mcp-<stack>-backup-repository`)."""
    volumes: list[VolumePurpose] = Field(default_factory=lambda: list(BACKED_UP_BY_DEFAULT))
    """Volumes to back up; `logs` is left out by default (logs are shipped, and rotate)."""
    image: PinnedImage = RESTIC_IMAGE
    """restic image, pinned by tag or digest."""

    @field_validator("volumes")
    @classmethod
    def _unique(cls, value: list[VolumePurpose]) -> list[VolumePurpose]:
        if len(set(value)) != len(value):
            raise ValueError("lists a volume twice")
        return value


class BackupSecrets(SpecModel):
    """Secrets of the backup repository, from the `backupSecrets` config secret."""

    password: SecretStr
    """restic repository password; every snapshot is encrypted with it. Lose it and the backups are unreadable."""
    s3_access_key_id: SecretStr | None = None
    """S3 access key (AWS_ACCESS_KEY_ID); unset when the cluster grants bucket access another way."""
    s3_secret_access_key: SecretStr | None = None
    """S3 secret key (AWS_SECRET_ACCESS_KEY); set together with the access key."""


def backup_secrets(
    config: ConfigValues, has_volumes: bool, placeholder_secrets: bool
) -> tuple[dict[str, Any] | None, list[Problem]]:
    """`backupSecrets` when the stack backs up (the target has volumes and backups are on), else None."""
    backup = config.section("backup")
    if not has_volumes or (isinstance(backup, dict) and backup.get("enabled") is False):
        return None, []
    given, problems = config.secrets("backupSecrets", "<name>")
    if problems:
        return None, problems
    if "password" not in given:
        if placeholder_secrets:
            return {**given, "password": SECRET_PLACEHOLDER}, []
        return None, [
            Problem(
                path="backupSecrets.password",
                message="missing; set a long random restic password with `pulumi config set --secret --path "
                "backupSecrets.password <value>` and keep a copy outside the stack (without it no backup can be "
                "read), or turn backups off with `backup.enabled: false`",
            )
        ]
    return given, []
