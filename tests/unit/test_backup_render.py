"""The backup renderer: retention flags, per-volume repositories and hosts, the Docker schedule loop, selection."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from components.render.backup import (
    VolumeBackup,
    backup_all_script,
    backup_command,
    backup_script,
    check_command,
    daily_or_hourly,
    forget_command,
    restic_host,
    restore_script,
    scheduled_backups_script,
    volume_repository,
)
from components.render.backup_kubernetes import camel_case_keys
from infra.stack_files import PROJECT_DIR
from tests.helpers.tools import require_tool

JOB = VolumeBackup(
    purpose="memory-graph",
    source_dir="/data",
    repository=volume_repository("s3:https://s3.example.com/bucket/mcp-prod/", "memory-graph"),
    host=restic_host("mcp-prod", "memory-graph"),
)


def test_retention_is_7_daily_4_weekly_12_monthly_with_prune_for_this_volume_only() -> None:
    assert forget_command(JOB) == [
        "restic",
        "forget",
        "--host",
        "mcp-prod-memory-graph",
        "--group-by",
        "host",
        "--keep-daily",
        "7",
        "--keep-weekly",
        "4",
        "--keep-monthly",
        "12",
        "--prune",
    ]
    assert check_command() == ["restic", "check", "--read-data-subset=10%"]


def test_each_volume_has_its_own_repository_and_a_fixed_host() -> None:
    assert JOB.repository == "s3:https://s3.example.com/bucket/mcp-prod/memory-graph"
    assert backup_command(JOB)[:4] == ["restic", "backup", "--host", "mcp-prod-memory-graph"]
    script = backup_script(JOB)
    assert "export RESTIC_REPOSITORY=s3:https://s3.example.com/bucket/mcp-prod/memory-graph\n" in script
    assert script.index("restic backup") < script.index("restic forget") < script.index("restic check")
    assert "mcp_backup_last_success_timestamp_seconds" not in script  # Kubernetes: kube-state-metrics reports


@pytest.mark.parametrize(
    ("schedule", "expected"),
    [
        ("30 2 * * *", (86400, 9000)),
        ("0 0 * * *", (86400, 0)),
        ("15 * * * *", (3600, 900)),
        ("0 2 * * 1", None),
        ("*/5 * * * *", None),
        ("61 2 * * *", None),
        ("0 24 * * *", None),
    ],
)
def test_docker_runs_daily_or_hourly_schedules(schedule: str, expected: tuple[int, int] | None) -> None:
    assert daily_or_hourly(schedule) == expected


def fake_tools(directory: Path, tools: dict[str, str]) -> dict[str, str]:
    directory.mkdir(exist_ok=True)
    for name, body in tools.items():
        path = directory / name
        path.write_text(f"#!/bin/sh\n{body}\n")
        path.chmod(0o755)
    return {"PATH": f"{directory}:{os.environ['PATH']}"}


@pytest.mark.parametrize(
    ("now", "expected_wait"),
    [
        (1_700_000_000 - 1_700_000_000 % 86400 + 9000 - 60, 60),  # 02:29:00 UTC -> one minute
        (1_700_000_000 - 1_700_000_000 % 86400 + 9000, 86400),  # exactly 02:30:00, just ran -> tomorrow
        (1_700_000_000 - 1_700_000_000 % 86400 + 9001, 86399),  # 02:30:01 -> almost a day
        (1_700_000_000 - 1_700_000_000 % 86400, 9000),  # midnight -> 2.5 hours
    ],
)
def test_the_docker_loop_sleeps_until_the_next_scheduled_utc_time(tmp_path: Path, now: int, expected_wait: int) -> None:
    # `date` answers a fixed time; `sleep` records how long it was asked to wait, then stops the loop.
    env = fake_tools(
        tmp_path / "bin",
        {"date": f"echo {now}", "sleep": f'echo "$1" > {tmp_path}/slept; kill -TERM $PPID'},
    )
    script_file = tmp_path / "backup.sh"
    job = VolumeBackup("filesystem", "/data/filesystem", "/repository/filesystem", "mcp-dev-filesystem", "/status")
    loop = scheduled_backups_script("30 2 * * *", [job], str(script_file))
    subprocess.run(["sh", "-c", loop], env=env, timeout=10)
    assert int((tmp_path / "slept").read_text()) == expected_wait
    assert script_file.read_text() == backup_all_script([job])  # what the loop and `backup-now` run


def test_backup_all_runs_every_volume_or_the_ones_named(tmp_path: Path) -> None:
    jobs = [
        VolumeBackup(purpose, str(tmp_path), f"{tmp_path}/repo/{purpose}", f"mcp-test-{purpose}")
        for purpose in ("memory-graph", "filesystem", "snapshots")
    ]
    log = tmp_path / "restic.log"
    env = fake_tools(tmp_path / "bin", {"restic": f'echo "$RESTIC_REPOSITORY $1" >> {log}'})
    script = backup_all_script(jobs)

    subprocess.run(["sh", "-c", script, "backup", "filesystem"], env=env, check=True, timeout=10)
    assert {line.split()[0] for line in log.read_text().splitlines()} == {f"{tmp_path}/repo/filesystem"}

    log.unlink()
    subprocess.run(["sh", "-c", script], env=env, check=True, timeout=10)
    commands = [line.split() for line in log.read_text().splitlines()]
    backups = [command for command in commands if command[1] == "backup"]
    assert backups == [[job.repository, "backup"] for job in jobs]


def test_one_failing_volume_fails_the_run_but_not_the_others(tmp_path: Path) -> None:
    jobs = [VolumeBackup(p, str(tmp_path), f"{tmp_path}/repo/{p}", f"h-{p}") for p in ("memory-graph", "filesystem")]
    log = tmp_path / "restic.log"
    failing_backup = (
        f'echo "$RESTIC_REPOSITORY $1" >> {log}; case "$RESTIC_REPOSITORY $1" in *memory-graph\\ backup) exit 1 ;; esac'
    )
    env = fake_tools(tmp_path / "bin", {"restic": failing_backup})
    result = subprocess.run(["sh", "-c", backup_all_script(jobs)], env=env, capture_output=True, text=True, timeout=10)
    assert result.returncode == 1
    assert "backup failed for: memory-graph" in result.stderr
    assert f"{tmp_path}/repo/filesystem check" in log.read_text()
    assert f"{tmp_path}/repo/memory-graph forget" not in log.read_text()  # no retention after a failed backup


def test_camel_case_keeps_label_names_and_resource_names() -> None:
    converted = camel_case_keys(
        {
            "metadata": {"labels": {"mcp_suite/my_label": "a_b"}},
            "spec": {"run_as_user": 1, "resources": {"requests": {"ephemeral_storage_x": "1"}}},
        }
    )
    assert converted == {
        "metadata": {"labels": {"mcp_suite/my_label": "a_b"}},
        "spec": {"runAsUser": 1, "resources": {"requests": {"ephemeral_storage_x": "1"}}},
    }


def test_every_rendered_script_and_the_backup_now_script_pass_shellcheck(tmp_path: Path) -> None:
    shellcheck = require_tool("shellcheck")
    job = VolumeBackup("memory-graph", "/data/memory-graph", "/repository/memory-graph", "mcp-dev-memory-graph", "/st")
    scripts = {
        "backup": backup_script(job),
        "backup-all": backup_all_script([job, JOB]),
        "restore": restore_script(job),
        "restore-replace": restore_script(job, "4f2a9c1d", "/restore", replace=True),
        "schedule-loop": scheduled_backups_script("30 2 * * *", [job]),
    }
    for name, text in scripts.items():
        # Warnings and errors; `info` notes flag the scripts nested as quoted data, which is on purpose.
        result = subprocess.run(
            [shellcheck, "-s", "sh", "-S", "warning", "-"], input=text, capture_output=True, text=True
        )
        assert result.returncode == 0, f"{name}:\n{result.stdout}"
    result = subprocess.run([shellcheck, str(PROJECT_DIR / "scripts" / "backup-now")], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout
