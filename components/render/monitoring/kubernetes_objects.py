"""Kubernetes side of the monitoring stack: Helm values, ServiceMonitor / Probe / PrometheusRule specs.

Objects carry `release: <kube-prometheus-stack release>` and the selectors are opened as well, so Prometheus
picks them up whichever way the chart is configured.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from components.render import labels
from components.render.gateway_api import proxy_pod_labels
from components.render.kubernetes_workload import metrics_port_name, selector_labels
from components.render.monitoring.blackbox import BLACKBOX_PORT, HTTP_MODULE, blackbox_config, health_url
from components.render.monitoring.grafana import log_and_trace_datasources
from components.render.monitoring.logs import LOKI_PORT, LOKI_SCHEMA, alloy_kubernetes_config, retention_hours
from components.render.monitoring.parts import MonitoringParts
from components.render.monitoring.rules import HEALTH_PROBE_LABEL
from components.render.monitoring.text import to_yaml
from components.spec import ServiceSpec

KPS_RELEASE = "kube-prometheus-stack"
KPS_CHART_VERSION = "87.21.0"
LOKI_CHART_VERSION = "6.55.0"
ALLOY_CHART_VERSION = "1.11.0"
PROMETHEUS_COMMUNITY_REPO = "https://prometheus-community.github.io/helm-charts"
GRAFANA_REPO = "https://grafana.github.io/helm-charts"
BLACKBOX_IMAGE = "quay.io/prometheus/blackbox-exporter:v0.28.0"
JAEGER_IMAGE = "docker.io/jaegertracing/jaeger:2.21.0"
GRAFANA_ADMIN_SECRET = "grafana-admin"
ALERTMANAGER_SECRET = "alertmanager-receivers"
ALERTMANAGER_SECRETS_DIR = f"/etc/alertmanager/secrets/{ALERTMANAGER_SECRET}"
BLACKBOX_NAME = "blackbox-exporter"
JAEGER_NAME = "jaeger"


@dataclass(frozen=True)
class HelmChart:
    """One pinned chart of the stack and its values."""

    release: str
    chart: str
    version: str
    repository: str
    values: dict[str, Any]


def helm_charts(
    namespace: str, retention: str, alertmanager_config: dict[str, Any], jaeger_url: str | None, parts: MonitoringParts
) -> list[HelmChart]:
    """kube-prometheus-stack always (Grafana inside it with dashboards), and Loki and Alloy with logs."""
    stack = HelmChart(
        release=KPS_RELEASE,
        chart="kube-prometheus-stack",
        version=KPS_CHART_VERSION,
        repository=PROMETHEUS_COMMUNITY_REPO,
        values=kube_prometheus_stack_values(
            retention, alertmanager_config, loki_url(namespace) if parts.logs else None, jaeger_url, parts.dashboards
        ),
    )
    if not parts.logs:
        return [stack]
    return [
        stack,
        HelmChart(
            release="loki",
            chart="loki",
            version=LOKI_CHART_VERSION,
            repository=GRAFANA_REPO,
            values=loki_values(retention),
        ),
        HelmChart(
            release="alloy",
            chart="alloy",
            version=ALLOY_CHART_VERSION,
            repository=GRAFANA_REPO,
            values=alloy_values(namespace),
        ),
    ]


def release_labels() -> dict[str, str]:
    return {"release": KPS_RELEASE, **labels.part_of()}


def kube_prometheus_stack_values(
    retention: str, alertmanager_config: dict[str, Any], loki_url: str | None, jaeger_url: str | None, grafana: bool
) -> dict[str, Any]:
    """The chart's values; without `grafana` the chart's Grafana is off (and with it the chart's own dashboards and
    datasources, which it deploys only for its Grafana)."""
    return {
        "prometheus": {
            "prometheusSpec": {
                "retention": retention,
                # Select every ServiceMonitor, Probe and PrometheusRule, not only those labelled with this release.
                "ruleSelectorNilUsesHelmValues": False,
                "serviceMonitorSelectorNilUsesHelmValues": False,
                "podMonitorSelectorNilUsesHelmValues": False,
                "probeSelectorNilUsesHelmValues": False,
            }
        },
        "alertmanager": {
            "config": alertmanager_config,
            "alertmanagerSpec": {"secrets": [ALERTMANAGER_SECRET]},
        },
        "grafana": _grafana_values(loki_url, jaeger_url) if grafana else {"enabled": False},
        # Backup CronJobs are recognised by their component label; kube-state-metrics exports it on request.
        "kube-state-metrics": {"metricLabelsAllowlist": [f"cronjobs=[{labels.COMPONENT_KEY}]"]},
    }


def _grafana_values(loki_url: str | None, jaeger_url: str | None) -> dict[str, Any]:
    return {
        "enabled": True,
        "admin": {"existingSecret": GRAFANA_ADMIN_SECRET, "userKey": "admin-user", "passwordKey": "admin-password"},
        "additionalDataSources": log_and_trace_datasources(loki_url, jaeger_url),
        "sidecar": {
            "dashboards": {
                "enabled": True,
                "label": "grafana_dashboard",
                "labelValue": "1",
                "folder": "/tmp/dashboards",
            }
        },
    }


def loki_values(retention: str) -> dict[str, Any]:
    return {
        "deploymentMode": "SingleBinary",
        "loki": {
            "auth_enabled": False,
            "commonConfig": {"replication_factor": 1},
            "storage": {"type": "filesystem"},
            "schemaConfig": {"configs": [LOKI_SCHEMA]},
            "limits_config": {"retention_period": retention_hours(retention)},
            "compactor": {"retention_enabled": True, "delete_request_store": "filesystem"},
        },
        "singleBinary": {"replicas": 1},
        "backend": {"replicas": 0},
        "read": {"replicas": 0},
        "write": {"replicas": 0},
        "gateway": {"enabled": False},
        "chunksCache": {"enabled": False},
        "resultsCache": {"enabled": False},
        "lokiCanary": {"enabled": False},
        "test": {"enabled": False},
    }


def loki_url(namespace: str) -> str:
    return f"http://loki.{namespace}.svc.cluster.local:{LOKI_PORT}"


def alloy_values(namespace: str) -> dict[str, Any]:
    return {
        # One replica reading logs through the API server: no hostPath, no privileged DaemonSet.
        "controller": {"type": "deployment", "replicas": 1},
        "alloy": {"configMap": {"create": True, "content": alloy_kubernetes_config(loki_url(namespace))}},
    }


def service_monitor_spec(spec: ServiceSpec, namespace: str) -> dict[str, Any] | None:
    """Scrape the service's own metrics endpoint; None for servers without one."""
    port = metrics_port_name(spec)
    if port is None or spec.metrics is None:
        return None
    return {
        "selector": {"matchLabels": selector_labels(spec)},
        "namespaceSelector": {"matchNames": [namespace]},
        "endpoints": [{"port": port, "path": spec.metrics.path, "interval": "30s"}],
    }


def gateway_pod_monitor_spec(services_namespace: str, gateway_namespace: str) -> dict[str, Any]:
    """Scrape the suite's Gateway proxies, where the request SLOs' series come from (Envoy's stats port)."""
    return {
        "selector": {"matchLabels": dict(proxy_pod_labels(services_namespace))},
        "namespaceSelector": {"matchNames": [gateway_namespace]},
        "podMetricsEndpoints": [{"port": "metrics", "path": "/stats/prometheus", "interval": "30s"}],
    }


def probe_spec(spec: ServiceSpec, namespace: str, monitoring_namespace: str) -> dict[str, Any]:
    """A blackbox probe of the service's health endpoint through its cluster DNS name."""
    return {
        "jobName": "health-probes",
        "interval": "30s",
        "module": HTTP_MODULE,
        "prober": {"url": f"{BLACKBOX_NAME}.{monitoring_namespace}.svc:{BLACKBOX_PORT}"},
        "targets": {
            "staticConfig": {
                "static": [health_url(spec, f"{spec.name}.{namespace}.svc")],
                "labels": {"service": spec.name, "probe": HEALTH_PROBE_LABEL},
            }
        },
    }


def blackbox_config_text() -> str:
    return to_yaml(blackbox_config())
