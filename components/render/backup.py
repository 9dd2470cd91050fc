"""The restic commands and scripts that back up, prune, check and restore the suite's volumes.

One source for every place that runs restic: the Docker backup container, the Kubernetes CronJobs, the restore
runbook's commands, and the round-trip test that runs these exact scripts with a real restic binary.
Pure functions, no Pulumi inside.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Sequence
from dataclasses import dataclass

RESTIC_IMAGE = "docker.io/restic/restic:0.18.1@sha256:39d9072fb5651c80d75c7a811612eb60b4c06b32ffe87c2e9f3c7222e1797e76"
"""Official restic image (Alpine, busybox sh, entrypoint /usr/bin/restic); tag and index digest as published."""

KEEP_DAILY, KEEP_WEEKLY, KEEP_MONTHLY = 7, 4, 12
CHECK_READ_DATA_SUBSET = "10%"
"""Each run re-reads a random tenth of the stored data, so corruption is found within days, not at restore time."""
SNAPSHOT_TAG = "mcp-suite"
SUCCESS_METRIC = "mcp_backup_last_success_timestamp_seconds"
"""Docker: textfile metric (Unix time of the last complete backup + prune + check), one file per volume."""
CACHE_DIR = "/cache"
"""restic's local cache (RESTIC_CACHE_DIR): a tmpfs or emptyDir, the root filesystem is read-only."""
RESTORE_DIR = "/restore"
SCRIPT_FILE = "/tmp/mcp-backup.sh"
"""Where the Docker backup container keeps its backup script, for the schedule loop and for `backup-now`."""

_DAILY_OR_HOURLY = re.compile(r"^(?P<minute>[0-9]{1,2}) (?P<hour>[0-9]{1,2}|\*) \* \* \*$")


@dataclass(frozen=True)
class VolumeBackup:
    """What one volume's backup needs: where its data is mounted and where its snapshots go."""

    purpose: str
    """The volume's purpose; also a snapshot tag."""
    source_dir: str
    """Where the volume is mounted (read-only) in the backup container."""
    repository: str
    """restic repository of this volume alone (RESTIC_REPOSITORY), so volumes never wait on each other's locks."""
    host: str
    """Fixed restic host name (`mcp-<stack>-<purpose>`). restic groups snapshots by host for retention; pods and
    containers get random host names, which would put every snapshot in its own group and keep them all forever."""
    status_dir: str | None = None
    """Directory for the textfile success metric (Docker); None on Kubernetes, where kube-state-metrics reports
    the CronJob's last successful time."""


def volume_repository(base: str, purpose: str) -> str:
    """One repository per volume under the configured base (`s3:https://host/bucket/prefix` or a local path)."""
    return f"{base.rstrip('/')}/{purpose}"


def restic_host(name_prefix: str, purpose: str) -> str:
    return f"{name_prefix}-{purpose}"


def backup_command(job: VolumeBackup) -> list[str]:
    """Back up the current directory (the volume's root), so snapshots hold the volume's files at their root."""
    return [
        "restic",
        "backup",
        "--host",
        job.host,
        "--tag",
        SNAPSHOT_TAG,
        "--tag",
        job.purpose,
        "--one-file-system",
        ".",
    ]


def forget_command(job: VolumeBackup) -> list[str]:
    """Retention 7 daily / 4 weekly / 12 monthly, grouped by host only, so a changed mount path keeps one history."""
    return [
        "restic",
        "forget",
        "--host",
        job.host,
        "--group-by",
        "host",
        "--keep-daily",
        str(KEEP_DAILY),
        "--keep-weekly",
        str(KEEP_WEEKLY),
        "--keep-monthly",
        str(KEEP_MONTHLY),
        "--prune",
    ]


def check_command() -> list[str]:
    return ["restic", "check", f"--read-data-subset={CHECK_READ_DATA_SUBSET}"]


def restore_command(job: VolumeBackup, snapshot: str, target: str) -> list[str]:
    return ["restic", "restore", snapshot, "--host", job.host, "--target", target, "--verify"]


def _line(command: Sequence[str]) -> str:
    return shlex.join(command)


def backup_script(job: VolumeBackup) -> str:
    """POSIX sh for one volume: create the repository on first use, back up, apply retention, check, report."""
    lines = [
        "set -eu",
        f"export RESTIC_REPOSITORY={shlex.quote(job.repository)}",
        f"echo {shlex.quote(f'== backup of volume {job.purpose} to {job.repository}')}",
        # A missing repository is created; any other failure (wrong password, unreachable bucket) fails in init.
        "restic cat config >/dev/null 2>&1 || restic init",
        f"cd {shlex.quote(job.source_dir)}",
        _line(backup_command(job)),
        _line(forget_command(job)),
        _line(check_command()),
    ]
    if job.status_dir is not None:
        metric_file = f"{job.status_dir}/{job.purpose}.prom"
        sample = f'{SUCCESS_METRIC}{{volume="{job.purpose}"}}'
        # Written only after every step succeeded, atomically (rename), for a textfile collector to read.
        lines += [
            f"printf '# HELP {SUCCESS_METRIC} Unix time of the last successful backup, prune and check.\\n"
            f'# TYPE {SUCCESS_METRIC} gauge\\n{sample} %s\\n\' "$(date +%s)" > {shlex.quote(metric_file + ".tmp")}',
            f"mv {shlex.quote(metric_file + '.tmp')} {shlex.quote(metric_file)}",
        ]
    return "\n".join(lines) + "\n"


def backup_all_script(jobs: Sequence[VolumeBackup]) -> str:
    """Every volume in turn, each in its own shell; one failure does not skip the others, but fails the run.

    Run with volume purposes as arguments (`sh -c "$script" backup filesystem`), it backs up only those.
    """
    lines = ["failed=''"]
    for job in jobs:
        wanted = f'[ $# -eq 0 ] || case " $* " in *" {job.purpose} "*) true ;; *) false ;; esac'
        lines.append(f"if {wanted}; then")
        lines.append(f'  sh -c {shlex.quote(backup_script(job))} || failed="$failed {job.purpose}"')
        lines.append("fi")
    lines += [
        'if [ -n "$failed" ]; then echo "backup failed for:$failed" >&2; exit 1; fi',
        "echo '== volume backups succeeded'",
    ]
    return "\n".join(lines) + "\n"


def restore_script(
    job: VolumeBackup, snapshot: str = "latest", target: str = RESTORE_DIR, replace: bool = False
) -> str:
    """Restore one volume's snapshot into `target` (a mounted volume) and verify the restored files.

    Without `replace` the target must be empty (apart from the `lost+found` of a fresh filesystem), so live
    data is never overwritten by accident; with it, the target's contents are deleted first.
    """
    quoted_target = shlex.quote(target)
    lines = [
        "set -eu",
        f"export RESTIC_REPOSITORY={shlex.quote(job.repository)}",
        _line(["restic", "snapshots", "--host", job.host]),
    ]
    if replace:
        lines.append(f"find {quoted_target} -mindepth 1 -maxdepth 1 ! -name lost+found -exec rm -rf {{}} +")
    else:
        lines.append(
            f"if find {quoted_target} -mindepth 1 -maxdepth 1 ! -name lost+found | grep -q .; then "
            f'echo "{target} is not empty; restore into a fresh volume, or replace its contents on purpose" >&2; '
            "exit 3; fi"
        )
    lines += [
        _line(restore_command(job, snapshot, target)),
        f"echo {shlex.quote(f'== restored {snapshot} of {job.purpose} into {target}')}",
    ]
    return "\n".join(lines) + "\n"


def daily_or_hourly(schedule: str) -> tuple[int, int] | None:
    """(period, offset) in seconds for `M H * * *` (daily) or `M * * * *` (hourly); None for other cron forms."""
    match = _DAILY_OR_HOURLY.match(schedule)
    if match is None:
        return None
    minute = int(match["minute"])
    if minute > 59:
        return None
    if match["hour"] == "*":
        return 3600, minute * 60
    hour = int(match["hour"])
    if hour > 23:
        return None
    return 86400, hour * 3600 + minute * 60


def scheduled_backups_script(schedule: str, jobs: Sequence[VolumeBackup], script_file: str = SCRIPT_FILE) -> str:
    """A backup container's main process: write the backup script, then sleep until the next UTC time matching
    `schedule`, run it, repeat.

    Docker has no scheduler and busybox crond needs root. Unix time modulo a day is the UTC time of day, so the
    wait is plain shell arithmetic. The script file (on the container's tmpfs) is also what `backup-now` runs.
    A failed run is logged and the loop goes on; the success metric tells monitoring.
    """
    timing = daily_or_hourly(schedule)
    if timing is None:
        raise ValueError(f"{schedule!r} is not a daily (`M H * * *`) or hourly (`M * * * *`) schedule")
    period, offset = timing
    return (
        "\n".join(
            [
                "set -u",
                f"printf '%s' {shlex.quote(backup_all_script(jobs))} > {shlex.quote(script_file)}",
                f"echo {shlex.quote(f'backups scheduled at {schedule} (UTC)')}",
                "while :; do",
                "  now=$(date +%s)",
                # In 1..period seconds: a run that ends within its own second never starts twice.
                f"  wait=$(( ({offset} - now % {period} + {period} - 1) % {period} + 1 ))",
                '  sleep "$wait"',
                f"  sh {shlex.quote(script_file)} || echo 'scheduled backup failed; next attempt at the next slot' >&2",
                "done",
            ]
        )
        + "\n"
    )
