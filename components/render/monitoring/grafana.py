"""Grafana provisioning: datasources (Prometheus, Alertmanager, Loki with logs, Jaeger with tracing) and dashboards."""

from __future__ import annotations

from typing import Any

from components.render.monitoring.dashboards import FOLDER, LOKI_UID, PROMETHEUS_UID


def datasources(
    prometheus_url: str, alertmanager_url: str, loki_url: str | None, jaeger_url: str | None
) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = [
        {
            "name": "Prometheus",
            "type": "prometheus",
            "uid": PROMETHEUS_UID,
            "url": prometheus_url,
            "access": "proxy",
            "isDefault": True,
        },
        {
            "name": "Alertmanager",
            "type": "alertmanager",
            "uid": "alertmanager",
            "url": alertmanager_url,
            "access": "proxy",
            "jsonData": {"implementation": "prometheus"},
        },
        *log_and_trace_datasources(loki_url, jaeger_url),
    ]
    return result


def log_and_trace_datasources(loki_url: str | None, jaeger_url: str | None) -> list[dict[str, Any]]:
    """Loki with logs, and Jaeger with tracing: what Grafana needs beyond what kube-prometheus-stack provisions
    itself. A None URL is a part that does not run; a datasource for it would only show as broken."""
    result: list[dict[str, Any]] = []
    if loki_url is not None:
        result.append({"name": "Loki", "type": "loki", "uid": LOKI_UID, "url": loki_url, "access": "proxy"})
    if jaeger_url is not None:
        result.append({"name": "Jaeger", "type": "jaeger", "uid": "jaeger", "url": jaeger_url, "access": "proxy"})
    return result


def datasources_file(datasource_list: list[dict[str, Any]]) -> dict[str, Any]:
    return {"apiVersion": 1, "datasources": datasource_list}


def dashboards_provider(path: str) -> dict[str, Any]:
    return {
        "apiVersion": 1,
        "providers": [
            {
                "name": "mcp-suite",
                "folder": FOLDER,
                "type": "file",
                "disableDeletion": True,
                "allowUiUpdates": False,
                "options": {"path": path},
            }
        ],
    }
