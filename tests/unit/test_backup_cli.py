"""`python -m infra backup-now` and `restore`: the deployed scripts as commands an operator runs, clean errors."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from components.kubernetes.volume_backups import volume_job
from components.render.backup import restore_script
from infra.__main__ import main
from infra.backup_operations import OperationError, backup_now_commands, stack_settings
from infra.stack_files import PROJECT_DIR

NOW = datetime(2026, 11, 24, 1, 2, 3, tzinfo=UTC)


def test_backup_now_on_kubernetes_creates_a_job_from_each_cron_job() -> None:
    commands = backup_now_commands(stack_settings("prod"), None, NOW)
    assert commands[0] == [
        "kubectl",
        "--namespace",
        "mcp-prod",
        "create",
        "job",
        "--from=cronjob/mcp-prod-backup-memory-graph",
        "mcp-prod-backup-memory-graph-manual-20261124010203",
    ]
    assert len(commands) == 4
    assert all(len(command[-1]) <= 63 for command in commands)  # Job names are DNS labels


def test_backup_now_on_docker_runs_the_deployed_script_in_the_backup_container(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["backup-now", "--stack", "dev", "--volume", "filesystem"]) == 0
    assert capsys.readouterr().out == "docker exec mcp-dev-backup /bin/sh /tmp/mcp-backup.sh filesystem\n"


def test_a_volume_that_is_not_backed_up_is_a_clean_error() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "infra", "backup-now", "--stack", "prod", "--volume", "logs"],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr == (
        "error: 'logs' is not backed up in stack 'prod'; backed-up volumes: "
        "memory-graph, filesystem, snapshots, task-queues\n"
    )


def test_backup_now_refuses_when_backups_are_disabled() -> None:
    settings = stack_settings("prod").model_copy(
        update={"backup": stack_settings("prod").backup.model_copy(update={"enabled": False})}
    )
    with pytest.raises(OperationError, match="backups are disabled for stack 'prod'"):
        backup_now_commands(settings, None, NOW)


def restore_documents(*args: str) -> list[dict[str, Any]]:
    result = subprocess.run(
        [sys.executable, "-m", "infra", "restore", *args], cwd=PROJECT_DIR, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return list(yaml.safe_load_all(result.stdout))


def test_kubernetes_restore_into_a_fresh_claim_is_schema_valid_and_runs_the_restore_script() -> None:
    claim, job = restore_documents("--stack", "prod", "--volume", "memory-graph", "--into", "memory-graph-restored")
    assert claim["kind"] == "PersistentVolumeClaim" and claim["metadata"]["name"] == "memory-graph-restored"
    assert claim["spec"]["resources"]["requests"]["storage"] == "20Gi"  # prod's size for memory-graph
    for document in (claim, job):
        kubernetes_validate.validate(document, kubernetes_validate.latest_version(), strict=True)
    pod = job["spec"]["template"]["spec"]
    assert pod["volumes"][0] == {
        "name": "data",
        "persistentVolumeClaim": {"claimName": "memory-graph-restored", "readOnly": False},
    }
    assert "affinity" not in pod  # the service is scaled down for a restore; nothing to join
    expected = restore_script(
        volume_job("mcp-prod", "s3:https://s3.placeholder.invalid/mcp-backups/mcp-prod", "memory-graph")
    )
    assert pod["containers"][0]["command"] == ["/bin/sh", "-c", expected]
    assert pod["containers"][0]["securityContext"]["runAsNonRoot"] is True


def test_kubernetes_restore_into_the_volumes_own_claim_creates_no_claim() -> None:
    documents = restore_documents("--stack", "staging", "--volume", "filesystem", "--snapshot", "4f2a9c1d", "--replace")
    assert [d["kind"] for d in documents] == ["Job"]
    script = documents[0]["spec"]["template"]["spec"]["containers"][0]["command"][2]
    assert "restic restore 4f2a9c1d --host mcp-staging-filesystem --target /restore --verify" in script
    assert "-exec rm -rf {} +" in script  # --replace empties the claim first


def test_docker_restore_stops_the_service_hands_over_the_volume_and_restores(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["restore", "--stack", "dev", "--volume", "memory-graph"]) == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if not line.startswith("#")]
    assert lines[:4] == [
        "set -eu",
        "docker stop mcp-dev-memory",
        "trap 'docker start mcp-dev-memory' EXIT",
        "docker volume create mcp-dev-memory-graph >/dev/null",
    ]
    assert "--cap-add CHOWN" in lines[4] and lines[4].endswith("10001:10001 /restore")
    restore = "\n".join(lines[5:])
    assert "-e RESTIC_PASSWORD " in restore  # taken from the operator's environment, never printed
    assert "-v mcp-dev-backup-repository:/repository -v mcp-dev-memory-graph:/restore" in restore
    assert "restic restore latest --host mcp-dev-memory-graph --target /restore --verify" in restore


def test_a_stack_without_volumes_has_nothing_to_back_up(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["backup-now", "--stack", "koyeb"]) == 2
    assert capsys.readouterr().err == "error: stack 'koyeb' runs on koyeb, which keeps no volumes to back up\n"


def fake_kubectl(directory: Path, failing: str | None) -> dict[str, str]:
    """A kubectl that accepts `create job` and reports each job Complete, or Failed for the `failing` volume."""
    directory.mkdir()
    script = directory / "kubectl"
    verdict = (
        f'case "$*" in *"backup-{failing}-manual"*) echo Failed ;; *) echo Complete ;; esac'
        if failing
        else "echo Complete"
    )
    script.write_text(f'#!/bin/sh\necho "$*" >> {directory}/calls\ncase "$*" in *" get job "*) {verdict} ;; esac\n')
    script.chmod(0o755)
    return {**os.environ, "PATH": f"{directory}:{os.environ['PATH']}"}


def test_scripts_backup_now_meets_the_deploy_contract(tmp_path: Path) -> None:
    env = fake_kubectl(tmp_path / "ok", failing=None)
    passed = subprocess.run(
        [str(PROJECT_DIR / "scripts" / "backup-now"), "prod"],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert passed.returncode == 0, passed.stderr
    repository = "s3:https://s3.placeholder.invalid/mcp-backups/mcp-prod/memory-graph"
    assert f"memory-graph: backed up, repository {repository}" in passed.stdout
    calls = (tmp_path / "ok" / "calls").read_text().splitlines()
    assert sum(" create job --from=cronjob/mcp-prod-backup-" in call for call in calls) == 4


def test_a_failed_backup_job_fails_backup_now(tmp_path: Path) -> None:
    failed = subprocess.run(
        [sys.executable, "-m", "infra", "backup-now", "--stack", "prod", "--run"],
        cwd=PROJECT_DIR,
        env=fake_kubectl(tmp_path / "bad", failing="filesystem"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert failed.returncode == 1
    assert "filesystem: FAILED" in failed.stdout
    assert failed.stderr.endswith("error: backup failed for: filesystem\n")


def test_missing_kubectl_is_a_clean_error(tmp_path: Path) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    result = subprocess.run(
        [sys.executable, "-m", "infra", "backup-now", "--stack", "prod", "--run"],
        cwd=PROJECT_DIR,
        env={**os.environ, "PATH": str(empty)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr == "error: kubectl is not installed or not on PATH\n"
