"""Secret config values as secret Outputs, so they stay encrypted in state and redacted in previews."""

from __future__ import annotations

import pulumi

from components.spec import ServiceSpec
from infra.settings import Settings


def secret_env(settings: Settings, spec: ServiceSpec) -> dict[str, pulumi.Output[str]]:
    return {name: pulumi.Output.secret(settings.secret_value(spec.name, name)) for name in spec.secret_env}


def backup_password(settings: Settings) -> pulumi.Output[str]:
    assert settings.backup_secrets is not None, "backups are enabled, so settings validated the password"
    return pulumi.Output.secret(settings.backup_secrets.password.get_secret_value())


def backup_s3_credentials(settings: Settings) -> tuple[pulumi.Output[str], pulumi.Output[str]] | None:
    secrets = settings.backup_secrets
    if secrets is None or secrets.s3_access_key_id is None or secrets.s3_secret_access_key is None:
        return None
    return (
        pulumi.Output.secret(secrets.s3_access_key_id.get_secret_value()),
        pulumi.Output.secret(secrets.s3_secret_access_key.get_secret_value()),
    )
