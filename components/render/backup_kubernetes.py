"""Pure renderers of the Kubernetes objects that run restic: the backup CronJob per volume and the restore Job.

Both run the scripts of `components.render.backup` in a pod that meets the restricted Pod Security level:
non-root, read-only root filesystem, no capabilities, restic's cache on an emptyDir.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from components.render import labels as common_labels
from components.render.backup import CACHE_DIR
from components.render.pod_security import restricted_container_security, restricted_pod_spec

if TYPE_CHECKING:
    from pulumi_kubernetes.batch.v1 import CronJobSpecArgsDict, JobSpecArgsDict
    from pulumi_kubernetes.core.v1 import ContainerArgsDict, EnvVarArgsDict, PodSpecArgsDict, VolumeArgsDict

CONTAINER_NAME = "restic"
TIME_ZONE = "Etc/UTC"
CACHE_SIZE = "1Gi"
HOSTNAME_TOPOLOGY = "kubernetes.io/hostname"
# The backup Secret is mounted read-only as files, never loaded into the environment: restic reads its password
# from RESTIC_PASSWORD_FILE and S3 keys from an AWS shared credentials file (AWS_SHARED_CREDENTIALS_FILE).
SECRET_DIR = "/run/secrets/restic"
PASSWORD_KEY = "restic-password"
S3_CREDENTIALS_KEY = "aws-credentials"


def s3_credentials_file(access_key_id: str, secret_access_key: str) -> str:
    """An AWS shared credentials file with one default profile, as restic's S3 backend reads it."""
    return f"[default]\naws_access_key_id = {access_key_id}\naws_secret_access_key = {secret_access_key}\n"


def credential_env(s3_credentials: bool) -> list[EnvVarArgsDict]:
    """Where restic finds its secrets in the mounted Secret (paths only, no secret value)."""
    env: list[EnvVarArgsDict] = [{"name": "RESTIC_PASSWORD_FILE", "value": f"{SECRET_DIR}/{PASSWORD_KEY}"}]
    if s3_credentials:
        env.append({"name": "AWS_SHARED_CREDENTIALS_FILE", "value": f"{SECRET_DIR}/{S3_CREDENTIALS_KEY}"})
    return env


@dataclass(frozen=True)
class ResticPod:
    """A pod that runs one restic script against one volume claim."""

    purpose: str
    """Volume purpose, recorded as a label."""
    claim_name: str
    """The PersistentVolumeClaim to back up from or restore into."""
    mount_path: str
    """Where the claim is mounted in the pod."""
    read_only: bool
    """Backups mount the claim read-only; restores need it writable."""
    script: str
    """POSIX sh script run by busybox sh in the restic image."""
    secret_name: str
    """Secret holding the restic password (and an S3 credentials file), mounted read-only at SECRET_DIR."""
    image: str
    """restic image, pinned."""
    run_as_user: int
    """UID, GID and fsGroup; the services' UID, so their files are readable."""
    s3_credentials: bool = False
    """Whether the Secret holds an S3 credentials file; False when the cluster grants bucket access another way."""
    colocate_with: dict[str, str] | None = None
    """Selector labels of the pod that already mounts a ReadWriteOnce claim: the backup pod must run on its
    node, since such a claim attaches to one node at a time. None when nothing else mounts the claim."""


def labels(component: str, purpose: str | None = None) -> dict[str, str]:
    """Labels of backup (`component` backup) and restore objects, with the volume they serve."""
    result = common_labels.workload(f"mcp-{component}", component)
    if purpose is not None:
        result[common_labels.VOLUME_PURPOSE_KEY] = purpose
    return result


def pod_spec(pod: ResticPod) -> PodSpecArgsDict:
    container: ContainerArgsDict = {
        "name": CONTAINER_NAME,
        "image": pod.image,
        "image_pull_policy": "Always",
        "command": ["/bin/sh", "-c", pod.script],
        "env": [
            {"name": "RESTIC_CACHE_DIR", "value": CACHE_DIR},
            {"name": "HOME", "value": "/tmp"},
            *credential_env(pod.s3_credentials),
        ],
        "resources": {
            "requests": {"cpu": "100m", "memory": "256Mi"},
            "limits": {"cpu": "1000m", "memory": "1024Mi"},
        },
        "security_context": restricted_container_security(pod.run_as_user),
        "volume_mounts": [
            {"name": "data", "mount_path": pod.mount_path, "read_only": pod.read_only},
            {"name": "cache", "mount_path": CACHE_DIR},
            {"name": "tmp", "mount_path": "/tmp"},
            {"name": "credentials", "mount_path": SECRET_DIR, "read_only": True},
        ],
    }
    volumes: list[VolumeArgsDict] = [
        {"name": "data", "persistent_volume_claim": {"claim_name": pod.claim_name, "read_only": pod.read_only}},
        {"name": "cache", "empty_dir": {"size_limit": CACHE_SIZE}},
        {"name": "tmp", "empty_dir": {"size_limit": "64Mi"}},
        # Owner root, group fsGroup: readable by the restic user only (0440).
        {"name": "credentials", "secret": {"secret_name": pod.secret_name, "default_mode": 0o440}},
    ]
    # The claim is already owned by this group (the service's fsGroup): skip a recursive chown.
    spec = restricted_pod_spec(pod.run_as_user, [container], volumes, fs_group_change_policy="OnRootMismatch")
    spec["restart_policy"] = "Never"
    if pod.colocate_with is not None:
        spec["affinity"] = {
            "pod_affinity": {
                "required_during_scheduling_ignored_during_execution": [
                    {"label_selector": {"match_labels": pod.colocate_with}, "topology_key": HOSTNAME_TOPOLOGY}
                ]
            }
        }
    return spec


def job_spec(pod: ResticPod, *, backoff_limit: int, deadline_seconds: int) -> JobSpecArgsDict:
    return {
        "backoff_limit": backoff_limit,
        "active_deadline_seconds": deadline_seconds,
        "template": {
            "metadata": {"labels": labels(common_labels.BACKUP_COMPONENT, pod.purpose)},
            "spec": pod_spec(pod),
        },
    }


def cron_job_spec(schedule: str, pod: ResticPod) -> CronJobSpecArgsDict:
    return {
        "schedule": schedule,
        "time_zone": TIME_ZONE,
        # A run still going when the next is due must finish first: restic would only wait on its lock.
        "concurrency_policy": "Forbid",
        # Missed by more than an hour (cluster down), the run waits for the next slot instead of piling up.
        "starting_deadline_seconds": 3600,
        "successful_jobs_history_limit": 3,
        "failed_jobs_history_limit": 3,
        "job_template": {
            "metadata": {"labels": labels(common_labels.BACKUP_COMPONENT, pod.purpose)},
            "spec": job_spec(pod, backoff_limit=2, deadline_seconds=6 * 3600),
        },
    }


def restore_job_manifest(name: str, namespace: str, pod: ResticPod) -> dict[str, Any]:
    """A one-off restore Job as a plain manifest for `kubectl apply -f -` (camelCase, like the API)."""
    spec = job_spec(pod, backoff_limit=0, deadline_seconds=6 * 3600)
    job = {
        "api_version": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name, "namespace": namespace, "labels": labels("restore", pod.purpose)},
        "spec": {
            **spec,
            "ttl_seconds_after_finished": 86400,
            "template": {"metadata": {"labels": labels("restore", pod.purpose)}, "spec": pod_spec(pod)},
        },
    }
    converted: dict[str, Any] = camel_case_keys(job)
    return converted


# Maps whose keys are data (label names, resource names), not field names.
_DATA_MAPS = {"labels", "annotations", "match_labels", "requests", "limits", "node_selector"}
_SNAKE = re.compile(r"_([a-z])")


def camel_case_keys(value: Any) -> Any:
    """The providers' snake_case input dicts as the API's camelCase manifest."""
    if isinstance(value, dict):
        return {
            _SNAKE.sub(lambda m: m.group(1).upper(), key): item if key in _DATA_MAPS else camel_case_keys(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [camel_case_keys(item) for item in value]
    return value
