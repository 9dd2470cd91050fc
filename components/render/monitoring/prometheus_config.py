"""Prometheus configuration of the Docker target: every scrape job, derived from the catalog.

On Kubernetes the Prometheus Operator builds the configuration from ServiceMonitor and Probe objects
(see kubernetes_objects); the jobs here are their Docker equivalents.
"""

from __future__ import annotations

from typing import Any

from components.render.monitoring.blackbox import BLACKBOX_PORT, HTTP_MODULE, health_url
from components.render.monitoring.logs import LOKI_PORT
from components.render.monitoring.parts import MonitoringParts
from components.render.monitoring.rules import HEALTH_PROBE_LABEL
from components.render.monitoring.sources import DOCKER_GATEWAY_METRICS, has_container_metrics
from components.spec import ServiceSpec

RULES_DIR = "/etc/prometheus/rules"
ALLOY_PORT = 12345
CADVISOR_PATH = "/api/v0/component/prometheus.exporter.cadvisor.docker/metrics"
"""Alloy serves each exporter component's metrics under its component path."""


def prometheus_config(
    services: tuple[ServiceSpec, ...], stack: str, rule_files: list[str], parts: MonitoringParts
) -> dict[str, Any]:
    """Scrape jobs for the stack's own parts that run, the gateway, cAdvisor, service metrics and health probes.

    A part that does not run gets no job: its target would not resolve and only show as `up == 0`."""
    jobs: list[dict[str, Any]] = [
        _static("prometheus", "localhost:9090"),
        _static("alertmanager", "alertmanager:9093"),
        _static("blackbox-exporter", f"blackbox:{BLACKBOX_PORT}"),
    ]
    if parts.logs:
        jobs += [_static("loki", f"loki:{LOKI_PORT}"), _static("alloy", f"alloy:{ALLOY_PORT}")]
    if parts.dashboards:
        jobs.append(_static("grafana", "grafana:3000"))
    jobs.append(_static("gateway", DOCKER_GATEWAY_METRICS))
    if has_container_metrics("docker", parts):
        jobs.append({**_static("cadvisor", f"alloy:{ALLOY_PORT}"), "metrics_path": CADVISOR_PATH})
    if parts.tracing:
        jobs.append(_static("jaeger", "jaeger:8888"))
    metered = [spec for spec in services if spec.metrics is not None]
    if metered:
        jobs.append(
            {
                "job_name": "mcp-services",
                "static_configs": [
                    {
                        "targets": [f"{spec.name}:{spec.metrics.port}"],
                        "labels": {"service": spec.name, "metrics_path": spec.metrics.path},
                    }
                    for spec in metered
                    if spec.metrics is not None
                ],
                "relabel_configs": [
                    {"source_labels": ["metrics_path"], "target_label": "__metrics_path__"},
                    {"action": "labeldrop", "regex": "metrics_path"},
                ],
            }
        )
    jobs.append(
        {
            "job_name": "health-probes",
            "metrics_path": "/probe",
            "params": {"module": [HTTP_MODULE]},
            "static_configs": [
                {
                    "targets": [health_url(spec, spec.name)],
                    "labels": {"service": spec.name, "probe": HEALTH_PROBE_LABEL},
                }
                for spec in services
            ],
            # The probed URL becomes the `target` parameter and the instance; the exporter is what is scraped.
            "relabel_configs": [
                {"source_labels": ["__address__"], "target_label": "__param_target"},
                {"source_labels": ["__param_target"], "target_label": "instance"},
                {"target_label": "__address__", "replacement": f"blackbox:{BLACKBOX_PORT}"},
            ],
        }
    )
    return {
        "global": {
            "scrape_interval": "30s",
            "scrape_timeout": "10s",
            "evaluation_interval": "30s",
            "external_labels": {"stack": stack},
        },
        "rule_files": rule_files,
        "alerting": {"alertmanagers": [{"static_configs": [{"targets": ["alertmanager:9093"]}]}]},
        "scrape_configs": jobs,
    }


def _static(job: str, target: str) -> dict[str, Any]:
    return {"job_name": job, "static_configs": [{"targets": [target]}]}
