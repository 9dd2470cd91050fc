"""Operator commands for a stack's backups: back up now (before an upgrade) and restore a volume.

They print exactly what runs (the same scripts the scheduled backups run, from `components.render.backup`), so
an operator can read it first; `backup-now --run` also runs it. See docs/backup-restore.md.
"""

from __future__ import annotations

import shlex
import subprocess
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import yaml

from components.docker.storage_volumes import BACKUP_REPOSITORY, volume_name
from components.docker.volume_backups import REPOSITORY_DIR, backup_container_name, volume_jobs
from components.kubernetes.volume_backups import cron_job_name, secret_name, volume_job
from components.render import backup as render
from components.render import backup_kubernetes as render_k8s
from components.render import labels
from components.render.docker_container import locked_down, run_flags
from components.render.kubernetes_workload import volume_claim_name, volume_claim_spec
from components.spec import VolumePurpose
from infra.settings import TARGETS, Settings, load_settings
from infra.stack_files import read_stack_config


def stack_settings(stack: str) -> Settings:
    """A stack's validated settings from its files; secret values are not needed here, so they stay placeholders."""
    config = read_stack_config(stack)
    return load_settings(stack, config.values, config.secret_keys, placeholder_secrets=True)


class OperationError(Exception):
    """A request that cannot be carried out as asked; the message says why and what to do."""


def selected_volumes(settings: Settings, volume: str | None) -> tuple[VolumePurpose, ...]:
    if not TARGETS[settings.target].has_volumes:
        raise OperationError(f"stack '{settings.stack}' runs on {settings.target}, which keeps no volumes to back up")
    if not settings.backs_up:
        raise OperationError(f"backups are disabled for stack '{settings.stack}' (backup.enabled is false)")
    if volume is None:
        return tuple(settings.backup.volumes)
    for purpose in settings.backup.volumes:
        if purpose == volume:
            return (purpose,)
    raise OperationError(
        f"'{volume}' is not backed up in stack '{settings.stack}'; backed-up volumes: "
        f"{', '.join(settings.backup.volumes)}"
    )


def _kubectl(settings: Settings) -> list[str]:
    context = ["--context", settings.kubernetes.context] if settings.kubernetes.context else []
    return ["kubectl", *context, "--namespace", settings.kubernetes.namespace]


def _docker(settings: Settings) -> list[str]:
    return ["docker", *(["--host", settings.docker.host] if settings.docker.host else [])]


def manual_job_name(settings: Settings, purpose: str, now: datetime) -> str:
    return f"{cron_job_name(settings.name_prefix, purpose)}-manual-{now.strftime('%Y%m%d%H%M%S')}"


def backup_now_commands(settings: Settings, volume: str | None, now: datetime) -> list[list[str]]:
    """Commands that back up now, in the running backup container (Docker) or as Jobs from the CronJobs."""
    purposes = selected_volumes(settings, volume)
    # A stack with volumes but no cluster plan is on Docker, whose backups run in one long-lived container.
    if settings.cluster is None:
        # The running backup container keeps the deployed script; the arguments select the volumes.
        container = backup_container_name(settings.name_prefix)
        return [[*_docker(settings), "exec", container, "/bin/sh", render.SCRIPT_FILE, *purposes]]
    return [
        [
            *_kubectl(settings),
            "create",
            "job",
            f"--from=cronjob/{cron_job_name(settings.name_prefix, purpose)}",
            manual_job_name(settings, purpose, now),
        ]
        for purpose in purposes
    ]


def backup_destination(settings: Settings, purpose: str) -> str:
    """The restic repository a volume's backups go to."""
    if settings.cluster is None:
        return volume_jobs(settings.name_prefix, settings.backup.repository, [purpose])[0].repository
    return volume_job(settings.name_prefix, _cluster_repository(settings), purpose).repository


def _cluster_repository(settings: Settings) -> str:
    """The S3 repository of a Kubernetes stack that backs up (settings require one there)."""
    if settings.cluster is None or settings.cluster.backup_repository is None:
        raise OperationError(f"stack '{settings.stack}' keeps no backups in a cluster repository")
    return settings.cluster.backup_repository


def run_backup_now(
    settings: Settings,
    volume: str | None,
    *,
    run: Callable[..., subprocess.CompletedProcess[str]] = subprocess.run,
    poll_seconds: float = 10.0,
    timeout_seconds: float = 6 * 3600,
) -> list[str]:
    """Run the backup-now commands; on Kubernetes wait until every Job completed. Returns failed volumes."""
    now = datetime.now(UTC)
    commands = backup_now_commands(settings, volume, now)
    if settings.cluster is None:
        result = run(commands[0], text=True)
        return [] if result.returncode == 0 else list(selected_volumes(settings, volume))
    for command in commands:
        created = run(command, text=True, capture_output=True)
        if created.returncode != 0:
            raise OperationError(f"`{shlex.join(command)}` failed: {created.stderr.strip()}")
    pending = {manual_job_name(settings, purpose, now): purpose for purpose in selected_volumes(settings, volume)}
    failed: list[str] = []
    deadline = time.monotonic() + timeout_seconds
    while pending:
        for job, purpose in list(pending.items()):
            status = run(
                [*_kubectl(settings), "get", "job", job, "-o", "jsonpath={.status.conditions[*].type}"],
                text=True,
                capture_output=True,
            )
            conditions = status.stdout.split()
            if "Complete" in conditions:
                del pending[job]
            elif "Failed" in conditions:
                failed.append(purpose)
                del pending[job]
        if pending:
            if time.monotonic() > deadline:
                raise OperationError(f"backup jobs still running after {timeout_seconds:.0f}s: {', '.join(pending)}")
            time.sleep(poll_seconds)
    return failed


def restore_kubernetes(
    settings: Settings, volume: str, snapshot: str, into: str | None, replace: bool, now: datetime
) -> str:
    """YAML for `kubectl apply -f -`: a fresh claim if `into` names one that is not the suite's, and the Job."""
    purpose = selected_volumes(settings, volume)[0]
    repository = _cluster_repository(settings)
    own_claim = volume_claim_name(settings.name_prefix, purpose)
    claim = into or own_claim
    job = volume_job(settings.name_prefix, repository, purpose)
    pod = render_k8s.ResticPod(
        purpose=purpose,
        claim_name=claim,
        mount_path=render.RESTORE_DIR,
        read_only=False,
        script=render.restore_script(job, snapshot, render.RESTORE_DIR, replace),
        secret_name=secret_name(settings.name_prefix),
        image=settings.backup.image,
        run_as_user=settings.volume_owner(purpose),
        s3_credentials=settings.backup_secrets is not None and settings.backup_secrets.s3_access_key_id is not None,
    )
    name = f"{settings.name_prefix}-restore-{purpose}-{now.strftime('%Y%m%d%H%M%S')}"
    documents: list[dict[str, Any]] = []
    if claim != own_claim:
        documents.append(
            render_k8s.camel_case_keys(
                {
                    "api_version": "v1",
                    "kind": "PersistentVolumeClaim",
                    "metadata": {
                        "name": claim,
                        "namespace": settings.kubernetes.namespace,
                        "labels": labels.volume(purpose),
                    },
                    "spec": volume_claim_spec(
                        settings.storage.sizes[purpose], settings.storage.access_mode, settings.storage.storage_class
                    ),
                }
            )
        )
    documents.append(render_k8s.restore_job_manifest(name, settings.kubernetes.namespace, pod))
    header = (
        f"# Restore snapshot '{snapshot}' of volume {purpose} into claim {claim} (restic host {job.host}).\n"
        f"# Apply: python -m infra restore ... | {shlex.join(_kubectl(settings))} apply -f -\n"
        f"# Follow: {shlex.join(_kubectl(settings))} logs -f job/{name}\n"
    )
    return header + yaml.safe_dump_all(documents, sort_keys=True)


def restore_docker(settings: Settings, volume: str, snapshot: str, into: str | None, replace: bool) -> str:
    """Shell commands that restore a volume with a one-off restic container, hardened like the backup one."""
    purpose = selected_volumes(settings, volume)[0]
    own_volume = volume_name(settings.name_prefix, purpose)
    target = into or own_volume
    job = volume_jobs(settings.name_prefix, settings.backup.repository, [purpose])[0]
    writer = settings.writer_of(purpose)
    uid = settings.volume_owner(purpose)
    docker = shlex.join(_docker(settings))
    # The lockdown of every container Pulumi runs, as flags. `locked_down`, not `hardened`: a restart policy
    # conflicts with --rm, and the scratch space is the restore's own (--tmpfs below).
    hardening = run_flags(locked_down())
    repository: list[str] = []
    if settings.backup.repository is None:
        # Writable: restic takes a lock in the repository even to restore.
        repository = [
            "--network",
            "none",
            "-v",
            f"{volume_name(settings.name_prefix, BACKUP_REPOSITORY)}:{REPOSITORY_DIR}",
        ]
    else:
        repository = ["-e", "AWS_ACCESS_KEY_ID", "-e", "AWS_SECRET_ACCESS_KEY"]
    # A new volume is created root-owned; hand its root to the owner the restored files belong to.
    ownership = [
        "run", "--rm", "--user", "0:0", *run_flags(locked_down(added_capabilities=["CHOWN"])), "--network", "none",
        "-v", f"{target}:{render.RESTORE_DIR}", "--entrypoint", "/bin/chown", settings.backup.image,
        f"{uid}:{uid}", render.RESTORE_DIR,
    ]  # fmt: skip
    restore = [
        "run", "--rm", "--user", f"{uid}:{uid}", *hardening,
        "--tmpfs", render.CACHE_DIR, "--tmpfs", "/tmp", "-e", f"RESTIC_CACHE_DIR={render.CACHE_DIR}", "-e", "HOME=/tmp",
        "-e", "RESTIC_PASSWORD", *repository, "-v", f"{target}:{render.RESTORE_DIR}",
        "--entrypoint", "/bin/sh", settings.backup.image, "-c",
        render.restore_script(job, snapshot, render.RESTORE_DIR, replace),
    ]  # fmt: skip
    stop = ""
    if writer is not None and target == own_volume:
        # The service must not write while its volume is restored; it starts again however the restore ends.
        service = f"{settings.name_prefix}-{writer.name}"
        stop = f"{docker} stop {service}\ntrap {shlex.quote(f'{docker} start {service}')} EXIT\n"
    return (
        f"# Restore snapshot '{snapshot}' of volume {purpose} into Docker volume {target}.\n"
        f'# Needs the repository password: export RESTIC_PASSWORD="$(pulumi config get --stack {settings.stack} '
        '--path backupSecrets.password)"\n'
        "set -eu\n"
        f"{stop}"
        f"{docker} volume create {shlex.quote(target)} >/dev/null\n"
        f"{docker} {shlex.join(ownership)}\n"
        f"{docker} {shlex.join(restore)}\n"
    )
