"""Composition of the `kubernetes` target (stacks staging, prod): namespace, claims and one workload per service."""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from components.kubernetes.mcp_service import McpService, McpServiceArgs
from components.kubernetes.monitoring_stack import MonitoringStack, MonitoringStackArgs
from components.kubernetes.storage_volumes import StorageVolumes, StorageVolumesArgs
from components.render.kubernetes_workload import PART_OF
from infra.settings import Settings
from infra.targets import monitoring
from infra.targets.secrets import secret_env


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
    namespace_name = namespace.metadata.apply(lambda meta: meta.name or settings.kubernetes.namespace)
    storage = StorageVolumes(
        "storage",
        StorageVolumesArgs(
            namespace=namespace_name,
            name_prefix=prefix,
            sizes={purpose: settings.storage.sizes[purpose] for purpose in settings.volume_purposes_in_use},
            access_mode=settings.storage.access_mode,
            storage_class=settings.storage.storage_class,
            protect=settings.protect_stateful_data,
        ),
        opts=with_provider,
    )
    endpoints: dict[str, pulumi.Output[str]] = {}
    for spec in settings.services:
        service = McpService(
            spec.name,
            McpServiceArgs(
                spec=spec,
                namespace=namespace_name,
                name_prefix=prefix,
                secret_env=secret_env(settings, spec),
                depends_on=[storage.claims[mount.volume] for mount in spec.volumes],
            ),
            opts=with_provider,
        )
        endpoints[spec.name] = service.endpoint
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
    pulumi.export("target", "kubernetes")
    pulumi.export("namespace", namespace_name)
    pulumi.export("endpoints", endpoints)
    pulumi.export("volumeClaims", storage.claim_names)
