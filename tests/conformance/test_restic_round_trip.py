"""The exact backup, retention and restore scripts the stacks deploy, run with a real restic on temporary directories.

Write known files, back up, lose the volume, restore into a fresh one, compare checksums, check the repository,
apply the retention policy. The scripts come from `components.render.backup`, the same functions that fill the
Docker backup container and the Kubernetes CronJobs, so this proves what is deployed (restic from Debian;
the image runs a newer restic, and every flag used here exists in both).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from components.render.backup import (
    SUCCESS_METRIC,
    VolumeBackup,
    backup_all_script,
    backup_command,
    forget_command,
    restic_host,
    restore_script,
    volume_repository,
)
from tests.helpers.tools import require_tool

pytestmark = pytest.mark.slow
PASSWORD = "correct horse battery staple"


def checksums(root: Path) -> dict[str, str]:
    """Relative path -> sha256 of every regular file, plus the set of directories (as 'dir')."""
    result: dict[str, str] = {}
    for path in sorted(root.rglob("*")):
        relative = str(path.relative_to(root))
        if relative == "lost+found":
            continue
        result[relative] = "dir" if path.is_dir() else hashlib.sha256(path.read_bytes()).hexdigest()
    return result


def write_known_files(root: Path) -> None:
    (root / "graph").mkdir(parents=True)
    (root / "graph" / "memory.jsonl").write_text(
        "\n".join(json.dumps({"type": "entity", "name": f"e{i}", "observations": ["x" * i]}) for i in range(200))
    )
    (root / "files" / "deep" / "deeper").mkdir(parents=True)
    (root / "files" / "deep" / "deeper" / "blob.bin").write_bytes(os.urandom(3 * 1024 * 1024))
    (root / "files" / "empty.txt").write_bytes(b"")
    (root / "files" / "ünïcødé name.md").write_text("# notes\n")


def environment(tmp_path: Path, password: str = PASSWORD) -> dict[str, str]:
    return {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "RESTIC_PASSWORD": password,
        "RESTIC_CACHE_DIR": str(tmp_path / "cache"),
    }


def sh(script: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["sh", "-c", script], env=env, capture_output=True, text=True, timeout=300)


def snapshots(job: VolumeBackup, env: dict[str, str]) -> list[dict[str, object]]:
    result = subprocess.run(
        ["restic", "snapshots", "--json", "--host", job.host],
        env={**env, "RESTIC_REPOSITORY": job.repository},
        capture_output=True,
        text=True,
        check=True,
    )
    parsed: list[dict[str, object]] = json.loads(result.stdout)
    return parsed


@pytest.fixture(autouse=True)
def tools() -> None:
    require_tool("restic")
    require_tool("sh")


def test_backup_lose_restore_into_a_fresh_volume_and_check(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    volumes = {purpose: tmp_path / "volumes" / purpose for purpose in ("memory-graph", "filesystem")}
    for root in volumes.values():
        write_known_files(root)
    status = tmp_path / "status"
    status.mkdir()
    jobs = [
        VolumeBackup(
            purpose=purpose,
            source_dir=str(root),
            repository=volume_repository(str(tmp_path / "repository"), purpose),
            host=restic_host("mcp-test", purpose),
            status_dir=str(status),
        )
        for purpose, root in volumes.items()
    ]
    env = environment(tmp_path)
    started = time.monotonic()

    first = sh(backup_all_script(jobs), env)
    assert first.returncode == 0, first.stdout + first.stderr
    (volumes["memory-graph"] / "graph" / "memory.jsonl").write_text('{"type": "entity", "name": "changed"}\n')
    second = sh(backup_all_script(jobs), env)
    assert second.returncode == 0, second.stdout + second.stderr
    backup_seconds = time.monotonic() - started
    expected = {purpose: checksums(root) for purpose, root in volumes.items()}

    # Each volume has its own repository and fixed host; retention already ran and kept the newest of today's
    # two snapshots; the success metric is fresh.
    for job in jobs:
        assert len(snapshots(job, env)) == 1
        metric = (status / f"{job.purpose}.prom").read_text()
        match = re.search(rf'^{SUCCESS_METRIC}{{volume="{job.purpose}"}} (\d+)$', metric, re.MULTILINE)
        assert match is not None, metric
        assert abs(int(match.group(1)) - time.time()) < 120
        assert f"# TYPE {SUCCESS_METRIC} gauge" in metric

    # The volume is lost. A fresh volume (with the lost+found of a new filesystem) receives the restore.
    shutil.rmtree(tmp_path / "volumes")
    restored_seconds: dict[str, float] = {}
    for job in jobs:
        fresh = tmp_path / "fresh" / job.purpose
        (fresh / "lost+found").mkdir(parents=True)
        started = time.monotonic()
        restore = sh(restore_script(job, "latest", str(fresh)), env)
        restored_seconds[job.purpose] = time.monotonic() - started
        assert restore.returncode == 0, restore.stdout + restore.stderr
        assert checksums(fresh) == expected[job.purpose]

    # The whole repository reads back intact, every pack, not only the daily 10 % sample.
    for job in jobs:
        check = subprocess.run(
            ["restic", "check", "--read-data"],
            env={**env, "RESTIC_REPOSITORY": job.repository},
            capture_output=True,
            text=True,
        )
        assert check.returncode == 0, check.stdout + check.stderr
        assert "no errors were found" in check.stdout

    with capsys.disabled():
        print(
            f"\nrestic round trip ({shutil.which('restic')}): two backups of 2 volumes in {backup_seconds:.2f}s; "
            + ", ".join(f"restore of {purpose} in {seconds:.2f}s" for purpose, seconds in restored_seconds.items())
        )


def test_restore_refuses_a_volume_with_data_unless_told_to_replace(tmp_path: Path) -> None:
    source = tmp_path / "volume"
    write_known_files(source)
    job = VolumeBackup("filesystem", str(source), str(tmp_path / "repo"), "mcp-test-filesystem", str(tmp_path))
    env = environment(tmp_path)
    assert sh(backup_all_script([job]), env).returncode == 0
    expected = checksums(source)
    (source / "files" / "empty.txt").write_text("edited after the backup")
    (source / "stray.txt").write_text("not in the snapshot")

    refused = sh(restore_script(job, "latest", str(source)), env)
    assert refused.returncode == 3
    assert "is not empty" in refused.stderr
    assert (source / "stray.txt").exists()

    replaced = sh(restore_script(job, "latest", str(source), replace=True), env)
    assert replaced.returncode == 0, replaced.stderr
    assert checksums(source) == expected


def test_wrong_password_fails_the_run_and_leaves_the_metric_alone(tmp_path: Path) -> None:
    source = tmp_path / "volume"
    write_known_files(source)
    status = tmp_path / "status"
    status.mkdir()
    job = VolumeBackup("memory-graph", str(source), str(tmp_path / "repo"), "mcp-test-memory-graph", str(status))
    assert sh(backup_all_script([job]), environment(tmp_path)).returncode == 0
    before = (status / "memory-graph.prom").read_text()
    time.sleep(1.1)

    failed = sh(backup_all_script([job]), environment(tmp_path, password="not the password"))
    assert failed.returncode == 1
    assert "backup failed for: memory-graph" in failed.stderr
    assert (status / "memory-graph.prom").read_text() == before
    assert len(snapshots(job, environment(tmp_path))) == 1


# Snapshots on a fixed calendar, and what `--keep-daily 7 --keep-weekly 4 --keep-monthly 12` keeps of them,
# worked out by hand. Daily: the 7 newest days, Jan 4-10. Weekly, the newest of the 4 newest ISO weeks: Jan 10
# (week 2), Jan 4 (week 1, from Mon Dec 29), Dec 23 (week 52), Dec 15 (week 51, kept by this rule alone).
# Monthly, the newest of the 12 newest months: Jan 10, Dec 23, then Nov 15 back to Feb 15 2025.
# Gone: Jan 1-3 2026, Dec 22 2025 (Dec 23 is newer in its week and month), Jan 15 2025 and Dec 15 2024.
SNAPSHOT_TIMES = (
    [f"2026-01-{day:02d} 03:00:00" for day in range(1, 11)]
    + ["2025-12-22 03:00:00", "2025-12-23 03:00:00"]
    + ["2024-12-15 03:00:00"]
    + [f"2025-{month:02d}-15 03:00:00" for month in range(1, 13)]
)
KEPT = (
    [f"2026-01-{day:02d} 03:00:00" for day in range(4, 11)]
    + ["2025-12-23 03:00:00", "2025-12-15 03:00:00"]
    + [f"2025-{month:02d}-15 03:00:00" for month in range(2, 12)]
)


def test_retention_keeps_7_daily_4_weekly_12_monthly(tmp_path: Path) -> None:
    source = tmp_path / "volume"
    source.mkdir()
    job = VolumeBackup("snapshots", str(source), str(tmp_path / "repo"), "mcp-test-snapshots")
    env = {**environment(tmp_path), "RESTIC_REPOSITORY": job.repository, "TZ": "UTC"}
    subprocess.run(["restic", "init"], env=env, cwd=source, check=True, capture_output=True)
    for index, moment in enumerate(SNAPSHOT_TIMES):
        (source / "state.txt").write_text(f"version {index}\n")
        # The deployed backup command, dated in the past with restic's own --time.
        subprocess.run([*backup_command(job), "--time", moment], env=env, cwd=source, check=True, capture_output=True)
    assert len(snapshots(job, env)) == len(SNAPSHOT_TIMES)

    forget = subprocess.run(forget_command(job), env=env, capture_output=True, text=True)
    assert forget.returncode == 0, forget.stderr

    kept = sorted(str(snapshot["time"])[:19].replace("T", " ") for snapshot in snapshots(job, env))
    assert kept == sorted(KEPT)
    check = subprocess.run(["restic", "check"], env=env, capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr


def test_the_scripts_run_under_busybox_like_in_the_restic_image(tmp_path: Path) -> None:
    # The image's shell and tools are busybox applets; nothing else is on PATH here but restic.
    busybox, restic = require_tool("busybox"), shutil.which("restic")
    assert restic is not None
    tools = tmp_path / "bin"
    tools.mkdir()
    for applet in ("sh", "find", "grep", "date", "mv", "rm", "ls", "printf", "cat"):
        (tools / applet).symlink_to(busybox)
    (tools / "restic").symlink_to(restic)
    env = {**environment(tmp_path), "PATH": str(tools)}
    source, status = tmp_path / "volume", tmp_path / "status"
    write_known_files(source)
    status.mkdir()
    job = VolumeBackup("filesystem", str(source), str(tmp_path / "repo"), "mcp-test-filesystem", str(status))

    backup = sh(backup_all_script([job]), env)
    assert backup.returncode == 0, backup.stdout + backup.stderr
    assert f'{SUCCESS_METRIC}{{volume="filesystem"}}' in (status / "filesystem.prom").read_text()
    fresh = tmp_path / "fresh"
    (fresh / "lost+found").mkdir(parents=True)
    restore = sh(restore_script(job, "latest", str(fresh)), env)
    assert restore.returncode == 0, restore.stdout + restore.stderr
    assert checksums(fresh) == checksums(source)
    assert sh(restore_script(job, "latest", str(fresh)), env).returncode == 3  # now it holds data
