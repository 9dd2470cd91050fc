"""Backup settings: what each stack gets, and every bad value named with its key and the fix."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra.settings import SECRET_PLACEHOLDER, SettingsError, load_settings
from infra.stack_files import read_stack_config

SECRET_KEYS = frozenset({"mcp-suite:backupSecrets"})
PASSWORD = {"password": "a long random passphrase"}


def raw(stack: str, **overrides: Any) -> dict[str, str]:
    # Monitoring and the edge off: their own secrets are covered by their own tests.
    values = {
        **read_stack_config(stack).values,
        "mcp-suite:monitoring": json.dumps({"enabled": False}),
        "mcp-suite:edge": json.dumps({"enabled": False}),
    }
    for key, value in overrides.items():
        values[f"mcp-suite:{key}"] = json.dumps(value)
    return values


def problems(stack: str, secret_keys: frozenset[str] = SECRET_KEYS, **overrides: Any) -> list[str]:
    with pytest.raises(SettingsError) as caught:
        load_settings(stack, raw(stack, **overrides), secret_keys)
    return [f"{problem.path}: {problem.message}" for problem in caught.value.problems]


def test_defaults_back_up_every_stateful_volume_daily_into_a_local_volume_on_dev() -> None:
    settings = load_settings("dev", raw("dev", backupSecrets=PASSWORD), SECRET_KEYS)
    assert settings.backup.enabled
    assert settings.backup.schedule == "30 2 * * *"
    assert settings.backup.repository is None
    assert settings.backup.volumes == ["memory-graph", "filesystem", "snapshots", "task-queues"]
    assert settings.backup_secrets is not None
    assert settings.backup_secrets.password.get_secret_value() == PASSWORD["password"]
    assert PASSWORD["password"] not in repr(settings)


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_kubernetes_stacks_point_at_a_marked_s3_placeholder(stack: str) -> None:
    settings = load_settings(stack, raw(stack), placeholder_secrets=True)
    assert settings.backup.repository == f"s3:https://s3.placeholder.invalid/mcp-backups/mcp-{stack}"
    assert settings.backup_secrets is not None
    assert settings.backup_secrets.password.get_secret_value() == SECRET_PLACEHOLDER


def test_a_kubernetes_stack_without_repository_is_a_clear_error() -> None:
    assert problems("staging", backup={}, backupSecrets=PASSWORD) == [
        "backup.repository: required on Kubernetes stacks: set an S3 repository, e.g. `pulumi config set --path "
        "backup.repository s3:https://<endpoint>/<bucket>/mcp-staging`"
    ]


def test_the_password_is_required_and_must_be_a_secret() -> None:
    missing = problems("dev")
    assert len(missing) == 1
    assert missing[0].startswith("backupSecrets.password: missing; set a long random restic password with")
    plain = problems("dev", secret_keys=frozenset(), backupSecrets=PASSWORD)
    assert plain == [
        "backupSecrets: holds plain-text values; set each one with "
        "`pulumi config set --secret --path backupSecrets.<name> <value>`"
    ]
    assert PASSWORD["password"] not in plain[0]


def test_disabled_backups_need_no_password() -> None:
    settings = load_settings("prod", raw("prod", backup={"enabled": False}))
    assert settings.backup_secrets is None


BAD_BACKUP = [
    pytest.param(
        "staging",
        {"backup": {"repository": "/var/backups"}},
        ["backup.repository: String should match pattern '^s3:\\S+$' (got '/var/backups')"],
        id="not-s3",
    ),
    pytest.param(
        "dev",
        {"backup": {"schedule": "0 3 * * 1"}},
        [
            "backup.schedule: '0 3 * * 1': the Docker backup container runs daily (`M H * * *`) or hourly "
            "(`M * * * *`) schedules, in UTC"
        ],
        id="weekly-on-docker",
    ),
    pytest.param(
        "dev",
        {"backup": {"schedule": "every night"}},
        ["backup.schedule: String should match pattern '^[0-9*,/-]+( [0-9*,/-]+){4}$' (got 'every night')"],
        id="not-cron",
    ),
    pytest.param(
        "dev",
        {"backup": {"image": "docker.io/restic/restic:latest"}},
        [
            "backup.image: 'docker.io/restic/restic:latest' uses the moving tag 'latest'; "
            "pin a version tag or an @sha256 digest"
        ],
        id="latest-image",
    ),
    pytest.param(
        "dev",
        {"backup": {"volumes": ["memory-graph", "memory-graph"]}},
        ["backup.volumes: lists a volume twice"],
        id="duplicate-volume",
    ),
    pytest.param(
        "prod",
        {"storage": {"accessMode": "ReadWriteOncePod"}},
        [
            "storage.accessMode: ReadWriteOncePod lets no backup pod mount a claim beside its service; use "
            "ReadWriteOnce or ReadWriteMany, or turn backups off with `backup.enabled: false`"
        ],
        id="read-write-once-pod",
    ),
    pytest.param(
        "prod",
        {"backupSecrets": {**PASSWORD, "s3AccessKeyId": "AKIA"}},
        ["backupSecrets: set both s3AccessKeyId and s3SecretAccessKey, or neither"],
        id="half-s3-credentials",
    ),
]


@pytest.mark.parametrize(("stack", "overrides", "expected"), BAD_BACKUP)
def test_bad_backup_config_is_reported_with_key_and_fix(
    stack: str, overrides: dict[str, Any], expected: list[str]
) -> None:
    overrides = {"backupSecrets": PASSWORD, **overrides}
    assert problems(stack, **overrides) == expected


def test_koyeb_keeps_no_volumes_so_it_needs_no_backup_password() -> None:
    settings = load_settings("koyeb", raw("koyeb"))
    assert not settings.backs_up
    assert settings.backup_secrets is None
