"""Where each signal comes from, per target: the one mapping to change when an exporter or gateway changes.

Rules and dashboards are written against these names only, so aligning with the gateway (Traefik on Docker,
Envoy Gateway's proxies on Kubernetes) or the backup jobs is an edit here, not in the rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from components.render import labels
from components.render.docker_container import GENERATED_SUFFIX_REGEX
from components.render.monitoring.parts import MonitoringParts
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
"""Histogram bounds (seconds) the gateway must expose: the latency SLOs count requests under 0.2 s and 0.5 s.
A gateway that counts in another unit is configured with `gateway_latency_buckets`."""
GATEWAY = "gateway"
"""`service` label of the gateway's aggregate series."""
OPERATION_DURATION_METRIC = "mcp_server_operation_duration"
"""Histogram (seconds) of the MCP requests a service behind the bridge answered, from the OpenTelemetry MCP semantic
conventions (`mcp.server.operation.duration`), served on the service's `metrics` endpoint. Labelled
`mcp_method_name`, `gen_ai_tool_name` on tools/call, `error_type` on failures (a JSON-RPC code, or `tool_error` for
a tool result with `isError`) and `mcp_protocol_version` when known; scraping adds `service`."""
OPERATION_DURATION_BUCKETS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)
"""The histogram's bounds (seconds) as the bridge exports them: a tool latency SLO's bound must be one of them."""
METHOD_LABEL = "mcp_method_name"
TOOL_LABEL = "gen_ai_tool_name"
ERROR_TYPE_LABEL = "error_type"
CLIENT_ERROR_TYPES = ("-32700", "-32600", "-32601", "-32602")
"""`error_type`s of a request the client got wrong (not JSON, not a request, an unknown method, invalid params): the
tool did not fail, so they burn no tool's budget."""
OTHER_TOOL = "_OTHER"
"""`gen_ai_tool_name` of a call to a tool the server does not have (a client's typo, the edge's stand-in for a hidden
tool): no tool's budget either."""
TOOL_CALL = "tools/call"
"""The one method whose series carry the tool's name."""


@dataclass(frozen=True)
class RequestSource:
    """The gateway's request metrics: a counter and a latency histogram, labelled by backend service."""

    requests: str
    """Counter of requests, labelled by backend service and status code."""
    duration_bucket: str
    """Histogram buckets of request duration in `duration_unit_seconds`, labelled by backend service."""
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
    duration_unit_seconds: float
    """Seconds per unit of the duration histograms (and of their `le` bounds): 1 for seconds, 0.001 for ms."""

    @property
    def duration_count(self) -> str:
        return self.duration_bucket.removesuffix("_bucket") + "_count"

    @property
    def gateway_duration_count(self) -> str:
        return self.gateway_duration_bucket.removesuffix("_bucket") + "_count"

    def in_duration_unit(self, seconds: float) -> float:
        """`seconds` in the histograms' unit, without float noise: 0.3 s is 300 ms, never 300.00000000000006."""
        return float(f"{seconds / self.duration_unit_seconds:.10g}")


REQUEST_SOURCES: dict[MonitoredPlatform, RequestSource] = {
    # Traefik v3 with `metrics.prometheus` on; its service names carry the provider suffix (`memory@file`).
    "docker": RequestSource(
        requests="traefik_service_requests_total",
        duration_bucket="traefik_service_request_duration_seconds_bucket",
        service_label="service",
        service_value="{service}@.+",
        code_label="code",
        gateway_requests="traefik_entrypoint_requests_total",
        gateway_duration_bucket="traefik_entrypoint_request_duration_seconds_bucket",
        gateway_selector=f'entrypoint="{ENTRYPOINT}"',
        duration_unit_seconds=1.0,
    ),
    # Envoy's upstream cluster stats from the proxies Envoy Gateway runs. It names a route's cluster
    # `httproute/<namespace>/<route>/rule/<index>`, and each HTTPRoute is named like its catalog service; the
    # request counter has one series per status code, and durations are in milliseconds.
    "kubernetes": RequestSource(
        requests="envoy_cluster_upstream_rq",
        duration_bucket="envoy_cluster_upstream_rq_time_bucket",
        service_label="envoy_cluster_name",
        service_value="httproute/[^/]+/{service}/rule/[0-9]+",
        code_label="envoy_response_code",
        gateway_requests="envoy_cluster_upstream_rq",
        gateway_duration_bucket="envoy_cluster_upstream_rq_time_bucket",
        # Every route's cluster is the gateway's traffic to the services; Envoy's own clusters (xDS) are not.
        gateway_selector='envoy_cluster_name=~"httproute/.+"',
        duration_unit_seconds=0.001,
    ),
}


def gateway_latency_buckets(target: MonitoredPlatform) -> list[float]:
    """`LATENCY_BUCKETS` in the unit of the target's gateway histograms, for configuring the gateway's buckets:
    Traefik's in seconds, Envoy's (`stats_config.histogram_bucket_settings`) in milliseconds."""
    source = REQUEST_SOURCES[target]
    return [source.in_duration_unit(bound) for bound in LATENCY_BUCKETS]


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


def has_container_metrics(target: MonitoredPlatform, parts: MonitoringParts) -> bool:
    """Whether anything exports per-container CPU and memory. Docker: cAdvisor runs inside Alloy, so it goes with
    the log pipeline. Kubernetes: the kubelet's cAdvisor and kube-state-metrics (kube-prometheus-stack) always run.

    The saturation rules, their alerts, the dashboards' CPU and memory panels and Docker's cAdvisor scrape job all
    ask this, so none of them reads a series nobody produces."""
    return parts.logs if target == "docker" else True


def saturation_source(target: MonitoredPlatform, container_prefix: str, namespace: str) -> SaturationSource:
    """Docker: cAdvisor (inside Alloy) names containers `<prefix>-<service>`, plus a generated suffix for services
    replaced side by side. Kubernetes: the kubelet's cAdvisor
    and kube-state-metrics name the container like the service, in the suite's namespace."""
    if target == "docker":
        return SaturationSource(
            cpu_usage="container_cpu_usage_seconds_total",
            memory_usage="container_memory_working_set_bytes",
            cpu_limit="container_spec_cpu_quota{{{selector}}} / container_spec_cpu_period{{{selector}}}",
            memory_limit="container_spec_memory_limit_bytes{{{selector}}}",
            container_label="name",
            container_value=container_prefix + "-{service}" + GENERATED_SUFFIX_REGEX,
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


def has_operation_metrics(spec: ServiceSpec) -> bool:
    """Whether the service exports `OPERATION_DURATION_METRIC`: the bridge does, for every server behind it. The
    per-tool rules and panels ask this, so none of them reads a series nobody produces."""
    return spec.bridge is not None


def service_alternation(specs: tuple[ServiceSpec, ...]) -> str:
    """`a|b|c` of the catalog's names, for regex matchers; names are DNS labels, so nothing needs escaping."""
    return "|".join(spec.name for spec in specs)


DOCKER_GATEWAY_METRICS = f"{NETWORK_ALIAS}:{PING_PORT}"
"""Where Traefik serves its Prometheus metrics on the Docker internal network (its `metrics` entry point)."""
