"""Composition of the `kubernetes` target (stacks staging, prod): namespace, claims and one workload per service."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components.kubernetes.gateway import Gateway, GatewayArgs
from components.kubernetes.mcp_service import McpService, McpServiceArgs
from components.kubernetes.monitoring_stack import MonitoringStack, MonitoringStackArgs
from components.kubernetes.network_policies import BackupPods, NetworkPolicies, NetworkPoliciesArgs
from components.kubernetes.storage_volumes import StorageVolumes, StorageVolumesArgs
from components.kubernetes.volume_backups import BackedUpClaim, VolumeBackups, VolumeBackupsArgs
from components.origin_client_certificate import OriginClientCertificate
from components.render.backup_kubernetes import labels as backup_pod_labels_for
from components.render.gateway_api import GatewayOptions
from components.render.kubernetes_workload import selector_labels, volume_claim_name
from components.render.monitoring.sources import gateway_latency_buckets
from components.render.network_policy import ClusterPeer, PolicyPeers
from components.render.pod_security import namespace_labels
from infra.settings import BackupSecrets, PodSelection, Problem, Settings, SettingsError
from infra.targets import monitoring
from infra.targets.images import service_images
from infra.targets.secrets import backup_password, backup_s3_credentials, secret_env


@dataclass(frozen=True)
class ClusterEntrance:
    """What the edge's origin lock needs of the cluster: where to put the tunnel's connector, what it connects
    to, and the client certificate the gateway requires."""

    opts: pulumi.ResourceOptions
    """The cluster's provider."""
    namespace: str
    gateway_host: str
    """In-cluster DNS name of the gateway's Service."""
    peers: PolicyPeers
    client_certificate: OriginClientCertificate | None
    """With `originLock: mtls`: the worker's certificate, from a CA the gateway alone trusts."""


def compose_kubernetes(settings: Settings) -> ClusterEntrance:
    cluster = settings.cluster
    if cluster is None:
        # load_settings sets the plan on every kubernetes stack; only hand-built Settings can lack it.
        raise SettingsError(settings.stack, [Problem(path="network.ingressHost", message="required on kubernetes")])
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
            "labels": namespace_labels("restricted"),
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
    images = service_images(settings)
    for spec in settings.services:
        service = McpService(
            spec.name,
            McpServiceArgs(
                spec=spec,
                image=images[spec.name],
                namespace=namespace_name,
                name_prefix=prefix,
                public_host=cluster.ingress_host,
                secret_env=secret_env(settings, spec),
                depends_on=[namespace],
                workload_depends_on=[storage.claims[mount.volume] for mount in spec.volumes],
            ),
            opts=with_provider,
        )
        endpoints[spec.name] = service.endpoint
    network = settings.network
    peers = PolicyPeers(
        gateway=_peer(network.gateway_pods(namespace_name)),
        prometheus=_peer(network.prometheus),
        blackbox_exporter=_peer(network.blackbox_exporter),
        dns=_peer(network.cluster_dns),
    )
    NetworkPolicies(
        "network-policies",
        NetworkPoliciesArgs(
            namespace=namespace_name,
            catalog=settings.services,
            peers=peers,
            backup=BackupPods(
                pod_labels=backup_pod_labels(),
                restore_pod_labels=backup_pod_labels_for("restore"),
                repository=cluster.backup_repository,
            )
            if cluster.backup_repository is not None
            else None,
        ),
        opts=with_provider,
    )
    # With the edge, the origin is locked (docs/network.md): no public listener behind the tunnel, or a public one
    # that requires the worker's client certificate.
    lock = network.origin_lock if settings.edge_deployment is not None else None
    client_certificate = OriginClientCertificate("origin-client", settings.name_prefix) if lock == "mtls" else None
    service_name = f"{prefix}-gateway"
    gateway = Gateway(
        "gateway",
        GatewayArgs(
            namespace=namespace_name,
            catalog=settings.services,
            options=GatewayOptions(
                host=cluster.ingress_host,
                gateway_class=network.gateway_class,
                tls_secret=settings.ingress_tls_secret,
                body_limit=network.body_limit,
                stream_timeout_seconds=network.stream_timeout_seconds,
                origin_lock=lock,
                service_name=service_name,
                latency_buckets_ms=tuple(gateway_latency_buckets("kubernetes")),
            ),
            cluster_issuer=network.tls.cluster_issuer,
            client_ca_pem=client_certificate.ca_pem if client_certificate is not None else None,
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
                inputs=monitoring.monitoring_inputs(settings),
                gateway_namespace=network.gateway_namespace,
            ),
            opts=with_provider,
        )
        pulumi.export("monitoring", stack.ui_services)
    if cluster.backup_repository is not None and settings.backup_secrets is not None:
        backups = compose_backups(
            settings, cluster.backup_repository, settings.backup_secrets, namespace_name, storage, with_provider
        )
        pulumi.export("backupCronJobs", backups.cron_job_names)
    pulumi.export("target", "kubernetes")
    pulumi.export("namespace", namespace_name)
    pulumi.export("endpoints", endpoints)
    pulumi.export("urls", gateway.urls)
    pulumi.export("volumeClaims", storage.claim_names)
    return ClusterEntrance(
        opts=with_provider,
        namespace=namespace_name,
        gateway_host=f"{service_name}.{network.gateway_namespace}.svc.cluster.local",
        peers=peers,
        client_certificate=client_certificate,
    )


def backup_pod_labels() -> dict[str, str]:
    """Labels all backup job pods share (each also names its volume)."""
    return backup_pod_labels_for("backup")


def compose_backups(
    settings: Settings,
    repository: str,
    secrets: BackupSecrets,
    namespace: pulumi.Input[str],
    storage: StorageVolumes,
    opts: pulumi.ResourceOptions,
) -> VolumeBackups:
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
            repository=repository,
            claims=claims,
            password=backup_password(secrets),
            s3_credentials=backup_s3_credentials(secrets),
            depends_on=[storage.claims[purpose] for purpose in settings.backup.volumes],
        ),
        opts=opts,
    )


def _peer(selection: PodSelection) -> ClusterPeer:
    return ClusterPeer(namespace=selection.namespace, pod_labels=selection.pod_labels)
