"""Scheduled restic backups of the suite's PersistentVolumeClaims: a Secret and one CronJob per volume."""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_kubernetes as k8s

from components.render import backup as render
from components.render import backup_kubernetes as render_k8s
from components.render.labels import BACKUP_COMPONENT
from components.spec import DEFAULT_UID

SOURCE_DIR = "/data"


@dataclass(frozen=True)
class BackedUpClaim:
    """One claim to back up and how to reach its data."""

    purpose: str
    """Volume purpose."""
    claim_name: str
    """PersistentVolumeClaim name."""
    run_as_user: int = DEFAULT_UID
    """UID of the service that writes the volume (its files are readable to it)."""
    colocate_with: dict[str, str] | None = None
    """Selector labels of the pod mounting a ReadWriteOnce claim; the backup pod joins it on its node."""


@dataclass(frozen=True)
class VolumeBackupsArgs:
    namespace: pulumi.Input[str]
    """Namespace of the Secret and CronJobs (the suite's namespace)."""
    name_prefix: str
    """Prefix of object names and restic host names (`mcp-<stack>`)."""
    schedule: str
    """Cron schedule, UTC."""
    image: str
    """restic image, pinned."""
    repository: str
    """Base S3 repository; each volume gets `<base>/<purpose>`."""
    claims: list[BackedUpClaim]
    """Claims to back up, one CronJob each."""
    password: pulumi.Output[str]
    """restic password (secret Output)."""
    s3_credentials: tuple[pulumi.Output[str], pulumi.Output[str]] | None = None
    """(access key id, secret access key) as secret Outputs; None when the cluster grants bucket access."""
    depends_on: list[pulumi.Resource] = field(default_factory=list)
    """Resources the CronJobs need first, such as the claims."""


def secret_name(name_prefix: str) -> str:
    return f"{name_prefix}-backup"


def cron_job_name(name_prefix: str, purpose: str) -> str:
    return f"{name_prefix}-backup-{purpose}"


def volume_job(name_prefix: str, repository: str, purpose: str) -> render.VolumeBackup:
    return render.VolumeBackup(
        purpose=purpose,
        source_dir=SOURCE_DIR,
        repository=render.volume_repository(repository, purpose),
        host=render.restic_host(name_prefix, purpose),
    )


class VolumeBackups(pulumi.ComponentResource):
    """A CronJob per claim running backup, retention and check; kube-state-metrics reports each one's last success
    as `kube_cronjob_status_last_successful_time`."""

    def __init__(self, name: str, args: VolumeBackupsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mcp-suite:kubernetes:VolumeBackups", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        credentials: dict[str, pulumi.Input[str]] = {render_k8s.PASSWORD_KEY: args.password}
        if args.s3_credentials is not None:
            key_id, secret_key = args.s3_credentials
            credentials[render_k8s.S3_CREDENTIALS_KEY] = pulumi.Output.secret(
                pulumi.Output.all(key_id, secret_key).apply(lambda keys: render_k8s.s3_credentials_file(*keys))
            )
        secret = k8s.core.v1.Secret(
            f"{name}-credentials",
            metadata={
                "name": secret_name(args.name_prefix),
                "namespace": args.namespace,
                "labels": render_k8s.labels(BACKUP_COMPONENT),
            },
            type="Opaque",
            string_data=credentials,
            opts=child,
        )
        for claim in args.claims:
            pod = render_k8s.ResticPod(
                purpose=claim.purpose,
                claim_name=claim.claim_name,
                mount_path=SOURCE_DIR,
                read_only=True,
                script=render.backup_script(volume_job(args.name_prefix, args.repository, claim.purpose)),
                secret_name=secret_name(args.name_prefix),
                image=args.image,
                run_as_user=claim.run_as_user,
                s3_credentials=args.s3_credentials is not None,
                colocate_with=claim.colocate_with,
            )
            k8s.batch.v1.CronJob(
                f"{name}-{claim.purpose}",
                metadata={
                    "name": cron_job_name(args.name_prefix, claim.purpose),
                    "namespace": args.namespace,
                    "labels": render_k8s.labels(BACKUP_COMPONENT, claim.purpose),
                },
                spec=render_k8s.cron_job_spec(args.schedule, pod),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[secret, *args.depends_on]),
            )
        # Names are explicit: known now, with no Output per job to await.
        self.cron_job_names: list[str] = [cron_job_name(args.name_prefix, claim.purpose) for claim in args.claims]
        self.register_outputs({"cron_job_names": self.cron_job_names})
