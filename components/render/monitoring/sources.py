"""Where each signal comes from, per target: the one mapping to change when an exporter or gateway changes.

Rules and dashboards are written against these names only, so aligning with the gateway (Traefik on Docker,
ingress-nginx on Kubernetes) or the backup jobs is an edit here, not in the rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from components.render import labels
from components.render.traefik import ENTRYPOINT, NETWORK_ALIAS, PING_PORT
from components.spec import ServiceSpec

MonitoredPlatform = Literal["docker", "kubernetes"]
"""The targets that run the suite's own monitoring stack (infra.settings.targets marks them `runs_monitoring`)."""

QUEUE_DEPTH_METRIC = "mcp_task_queue_depth"
"""Gauge a service may export (on its `metrics` endpoint): tasks waiting in its queue."""
DOCKER_BACKUP_METRIC = "mcp_backup_last_success_timestamp_seconds"
"""Gauge (Unix seconds) of the last successful backup, exported by the Docker backup job, labelled `volume`."""
KUBERNETES_BACKUP_METRIC = "kube_cronjob_status_last_successful_time"
"""kube-state-metrics gauge of a CronJob's last success; backups are CronJobs labelled as `labels.BACKUP_COMPONENT`."""
LATENCY_BUCKETS = (0.05, 0.1, 0.2, 0.3, 0.5, 1.0, 2.0, 5.0)
"""Histogram bounds (seconds) the gateway must expose: the latency SLOs count requests under 0.2 s and 0.5 s."""
GATEWAY = "gateway"
"""`service` label of the gateway's aggregate series."""


@dataclass(frozen=True)
class RequestSource:
    """The gateway's request metrics: a counter and a latency histogram, labelled by backend service."""

    requests: str
    """Counter of requests, labelled by backend service and status code."""
    duration_bucket: str
    """Histogram buckets of request duration in seconds, labelled by backend service."""
    service_label: str
    """Label naming the backend service."""
    service_value: str
    """Regex for that label's value, `{service}` standing for the catalog service name."""
    code_label: str
    """Label holding the HTTP status code."""
    gateway_requests: str
    """Counter of every request the gateway served (the gateway SLO)."""
    gateway_duration_bucket: str
    """Histogram buckets of every request's duration."""
    gateway_selector: str
    """Label matchers that keep the gateway's own traffic only (no metrics or ping endpoints)."""

    @property
    def duration_count(self) -> str:
        return self.duration_bucket.removesuffix("_bucket") + "_count"

    @property
    def gateway_duration_count(self) -> str:
        return self.gateway_duration_bucket.removesuffix("_bucket") + "_count"


REQUEST_SOURCES: dict[MonitoredPlatform, RequestSource] = {
    # Traefik v3 with `metrics.prometheus` on; its service names carry the provider suffix (`memory@docker`).
    "docker": RequestSource(
        requests="traefik_service_requests_total",
        duration_bucket="traefik_service_request_duration_seconds_bucket",
        service_label="service",
        service_value="{service}@.+",
        code_label="code",
        gateway_requests="traefik_entrypoint_requests_total",
        gateway_duration_bucket="traefik_entrypoint_request_duration_seconds_bucket",
        gateway_selector=f'entrypoint="{ENTRYPOINT}"',
    ),
    # ingress-nginx controller metrics; `service` is the backend Kubernetes Service, named like the catalog entry.
    "kubernetes": RequestSource(
        requests="nginx_ingress_controller_requests",
        duration_bucket="nginx_ingress_controller_request_duration_seconds_bucket",
        service_label="service",
        service_value="{service}",
        code_label="status",
        gateway_requests="nginx_ingress_controller_requests",
        gateway_duration_bucket="nginx_ingress_controller_request_duration_seconds_bucket",
        gateway_selector="",
    ),
}


@dataclass(frozen=True)
class SaturationSource:
    """cAdvisor usage and the container's limits, and how a series names its catalog service."""

    cpu_usage: str
    """Counter of CPU seconds used per container."""
    memory_usage: str
    """Gauge of working-set bytes per container."""
    cpu_limit: str
    """PromQL of the CPU limit in cores per series, before the service label is derived."""
    memory_limit: str
    """PromQL of the memory limit in bytes per series, before the service label is derived."""
    container_label: str
    """Label naming the container."""
    container_value: str
    """Regex of that label's value, `{service}` standing for the catalog service name."""
    scope: str
    """Extra matchers for every series (the namespace on Kubernetes)."""


def saturation_source(target: MonitoredPlatform, container_prefix: str, namespace: str) -> SaturationSource:
    """Docker: cAdvisor (inside Alloy) names containers `<prefix>-<service>`. Kubernetes: the kubelet's cAdvisor
    and kube-state-metrics name the container like the service, in the suite's namespace."""
    if target == "docker":
        return SaturationSource(
            cpu_usage="container_cpu_usage_seconds_total",
            memory_usage="container_memory_working_set_bytes",
            cpu_limit="container_spec_cpu_quota{{{selector}}} / container_spec_cpu_period{{{selector}}}",
            memory_limit="container_spec_memory_limit_bytes{{{selector}}}",
            container_label="name",
            container_value=container_prefix + "-{service}",
            scope="",
        )
    return SaturationSource(
        cpu_usage="container_cpu_usage_seconds_total",
        memory_usage="container_memory_working_set_bytes",
        cpu_limit='kube_pod_container_resource_limits{{resource="cpu", {selector}}}',
        memory_limit='kube_pod_container_resource_limits{{resource="memory", {selector}}}',
        container_label="container",
        container_value="{service}",
        scope=f'namespace="{namespace}"',
    )


def backup_age_expression(target: MonitoredPlatform) -> str:
    """PromQL: seconds since each backup's last success, one series per backup."""
    if target == "docker":
        return f"time() - max by (volume) ({DOCKER_BACKUP_METRIC})"
    return (
        f"time() - max by (namespace, cronjob) ({KUBERNETES_BACKUP_METRIC}"
        " * on (namespace, cronjob) group_left ()"
        f' kube_cronjob_labels{{label_app_kubernetes_io_component="{labels.BACKUP_COMPONENT}"}})'
    )


def service_alternation(specs: tuple[ServiceSpec, ...]) -> str:
    """`a|b|c` of the catalog's names, for regex matchers; names are DNS labels, so nothing needs escaping."""
    return "|".join(spec.name for spec in specs)


DOCKER_GATEWAY_METRICS = f"{NETWORK_ALIAS}:{PING_PORT}"
"""Where Traefik serves its Prometheus metrics on the Docker internal network (its `metrics` entry point)."""
