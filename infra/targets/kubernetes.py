"""Composition of the `kubernetes` target (stacks staging, prod): namespace, claims and one workload per service."""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from components.kubernetes.ingress_gateway import IngressGateway, IngressGatewayArgs
from components.kubernetes.mcp_service import McpService, McpServiceArgs
from components.kubernetes.monitoring_stack import MonitoringStack, MonitoringStackArgs
from components.kubernetes.network_policies import BackupPods, NetworkPolicies, NetworkPoliciesArgs
from components.kubernetes.storage_volumes import StorageVolumes, StorageVolumesArgs
from components.kubernetes.volume_backups import BackedUpClaim, VolumeBackups, VolumeBackupsArgs
from components.render.backup_kubernetes import labels as backup_pod_labels_for
from components.render.ingress import IngressOptions
from components.render.kubernetes_workload import PART_OF, selector_labels, volume_claim_name
from components.render.network_policy import ClusterPeer, PolicyPeers
from infra.settings import PodSelection, Settings
from infra.targets import monitoring
from infra.targets.secrets import backup_password, backup_s3_credentials, secret_env


def compose_kubernetes(settings: Settings) -> None:
    prefix = settings.name_prefix
    provider = k8s.Provider(
        "kubernetes",
        context=settings.kubernetes.context,
        enable_server_side_apply=True,
        # Objects without a namespace would land in `default`; every object here sets its own.
        namespace=settings.kubernetes.namespace,
    )
    with_provider = pulumi.ResourceOptions(provider=provider)
    namespace = k8s.core.v1.Namespace(
        "namespace",
        metadata={
            "name": settings.kubernetes.namespace,
            "labels": {
                "app.kubernetes.io/part-of": PART_OF,
                "pod-security.kubernetes.io/enforce": "restricted",
                "pod-security.kubernetes.io/enforce-version": "latest",
                "pod-security.kubernetes.io/warn": "restricted",
                "pod-security.kubernetes.io/audit": "restricted",
            },
        },
        opts=with_provider,
    )
    namespace_name = settings.kubernetes.namespace
    storage = StorageVolumes(
        "storage",
        StorageVolumesArgs(
            namespace=namespace_name,
            name_prefix=prefix,
            sizes=dict(settings.storage.sizes),
            access_mode=settings.storage.access_mode,
            storage_class=settings.storage.storage_class,
            protect=settings.protect_stateful_data,
            depends_on=[namespace],
        ),
        opts=with_provider,
    )
    endpoints: dict[str, str] = {}
    for spec in settings.services:
        service = McpService(
            spec.name,
            McpServiceArgs(
                spec=spec,
                namespace=namespace_name,
                name_prefix=prefix,
                secret_env=secret_env(settings, spec),
                depends_on=[namespace],
                workload_depends_on=[storage.claims[mount.volume] for mount in spec.volumes],
            ),
            opts=with_provider,
        )
        endpoints[spec.name] = service.endpoint
    network = settings.network
    NetworkPolicies(
        "network-policies",
        NetworkPoliciesArgs(
            namespace=namespace_name,
            catalog=settings.services,
            peers=PolicyPeers(
                ingress_controller=_peer(network.ingress_controller),
                prometheus=_peer(network.prometheus),
                blackbox_exporter=_peer(network.blackbox_exporter),
                dns=_peer(network.cluster_dns),
            ),
            backup=BackupPods(pod_labels=backup_pod_labels(), repository=settings.backup.repository)
            if settings.backs_up and settings.backup.repository is not None
            else None,
        ),
        opts=with_provider,
    )
    assert network.ingress_host is not None  # settings require it for this target
    gateway = IngressGateway(
        "ingress",
        IngressGatewayArgs(
            namespace=namespace_name,
            catalog=settings.services,
            options=IngressOptions(
                host=network.ingress_host,
                ingress_class=network.ingress_class,
                tls_secret=settings.ingress_tls_secret,
                body_limit=network.body_limit,
                stream_timeout_seconds=network.stream_timeout_seconds,
            ),
            cluster_issuer=network.tls.cluster_issuer,
        ),
        opts=with_provider,
    )
    if settings.monitoring.enabled:
        stack = MonitoringStack(
            "monitoring",
            MonitoringStackArgs(
                services=settings.services,
                namespace=namespace_name,
                services_namespace=settings.kubernetes.namespace,
                monitoring_namespace=settings.monitoring.namespace,
                retention=settings.monitoring.retention,
                backup_max_age_hours=settings.monitoring.backup_max_age_hours,
                tracing=settings.monitoring.tracing,
                grafana_admin_password=monitoring.grafana_admin_password(settings),
                receivers=monitoring.receivers(settings),
                receiver_credentials=monitoring.receiver_credentials(settings),
            ),
            opts=with_provider,
        )
        pulumi.export("monitoring", {"grafana": stack.grafana_service, "prometheus": stack.prometheus_service})
    if settings.backs_up:
        backups = compose_backups(settings, namespace_name, storage, with_provider)
        pulumi.export("backupCronJobs", backups.cron_job_names)
    pulumi.export("target", "kubernetes")
    pulumi.export("namespace", namespace_name)
    pulumi.export("endpoints", endpoints)
    pulumi.export("urls", gateway.urls)
    pulumi.export("volumeClaims", storage.claim_names)


def backup_pod_labels() -> dict[str, str]:
    """Labels all backup job pods share (each also names its volume)."""
    return backup_pod_labels_for("backup")


def compose_backups(
    settings: Settings, namespace: pulumi.Input[str], storage: StorageVolumes, opts: pulumi.ResourceOptions
) -> VolumeBackups:
    assert settings.backup.repository is not None, "settings require a repository on Kubernetes"
    claims = []
    for purpose in settings.backup.volumes:
        writer = settings.writer_of(purpose)
        # A ReadWriteOnce claim attaches to one node at a time: the backup pod must join the service's pod.
        colocate = writer is not None and settings.storage.access_mode == "ReadWriteOnce"
        claims.append(
            BackedUpClaim(
                purpose=purpose,
                claim_name=volume_claim_name(settings.name_prefix, purpose),
                run_as_user=settings.volume_owner(purpose),
                colocate_with=selector_labels(writer) if writer is not None and colocate else None,
            )
        )
    return VolumeBackups(
        "backups",
        VolumeBackupsArgs(
            namespace=namespace,
            name_prefix=settings.name_prefix,
            schedule=settings.backup.schedule,
            image=settings.backup.image,
            repository=settings.backup.repository,
            claims=claims,
            password=backup_password(settings),
            s3_credentials=backup_s3_credentials(settings),
            depends_on=[storage.claims[purpose] for purpose in settings.backup.volumes],
        ),
        opts=opts,
    )


def _peer(selection: PodSelection) -> ClusterPeer:
    return ClusterPeer(namespace=selection.namespace, pod_labels=selection.pod_labels)
