"""Secret config values as secret Outputs, so they stay encrypted in state and redacted in previews."""

from __future__ import annotations

import pulumi

from components.spec import ServiceSpec
from infra.settings import BackupSecrets, Settings


def secret_env(settings: Settings, spec: ServiceSpec) -> dict[str, pulumi.Output[str]]:
    return {name: pulumi.Output.secret(settings.secret_value(spec.name, name)) for name in spec.secret_env}


def backup_password(secrets: BackupSecrets) -> pulumi.Output[str]:
    return pulumi.Output.secret(secrets.password.get_secret_value())


def backup_s3_credentials(secrets: BackupSecrets) -> tuple[pulumi.Output[str], pulumi.Output[str]] | None:
    if secrets.s3_access_key_id is None or secrets.s3_secret_access_key is None:
        return None
    return (
        pulumi.Output.secret(secrets.s3_access_key_id.get_secret_value()),
        pulumi.Output.secret(secrets.s3_secret_access_key.get_secret_value()),
    )
