"""The `monitoring` and `monitoringSecrets` sections."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from components.spec import SpecModel
from infra.settings.keys import ConfigValues
from infra.settings.patterns import DNS_LABEL, SECRET_PLACEHOLDER
from infra.settings.problems import Problem

ReceiverName = Literal["page", "ticket"]
"""Where alerts go: `page` gets critical alerts, `ticket` gets warnings; info alerts are never sent."""
RECEIVER_NAMES: tuple[ReceiverName, ...] = ("page", "ticket")
MONITORING_SECRET_NAMES = ("grafanaAdminPassword", *RECEIVER_NAMES)


class ReceiverSettings(SpecModel):
    """One Alertmanager receiver; its credential (URL or key) is `monitoringSecrets.<page|ticket>`."""

    kind: Literal["slack", "pagerduty"]
    """`slack` (the secret is the incoming-webhook URL) or `pagerduty` (the secret is the Events v2 routing key)."""
    channel: str | None = None
    """Slack channel, for `slack` only; unset means the webhook's own channel."""

    @model_validator(mode="after")
    def _channel_only_for_slack(self) -> ReceiverSettings:
        if self.channel is not None and self.kind != "slack":
            raise ValueError(f"`channel` is only for slack receivers, not {self.kind}")
        return self


class MonitoringSettings(SpecModel):
    """The monitoring stack: metrics, alerts, dashboards, logs and (optionally) traces."""

    enabled: bool = True
    """Deploy the monitoring stack next to the services."""
    dashboards: bool = True
    """Deploy Grafana with the suite's datasources and dashboards; off where a central Grafana reads Prometheus.
    Off, `monitoringSecrets.grafanaAdminPassword` is not needed."""
    logs: bool = True
    """Deploy the log pipeline, Loki and Alloy; off where logs are shipped elsewhere. On Docker, Alloy also exports
    the containers' CPU and memory (cAdvisor): off there, the CPU and memory alerts and panels are left out."""
    tracing: bool = False
    """Deploy Jaeger v2 (OpenTelemetry collector inside) for traces; OTLP on 4317 (gRPC) and 4318 (HTTP)."""
    retention: Annotated[str, Field(pattern=r"^[1-9][0-9]*(h|d|w)$")] = "15d"
    """How long Prometheus and Loki keep data, e.g. `15d`."""
    backup_max_age_hours: Annotated[int, Field(ge=1, le=24 * 31)] = 26
    """A backup older than this raises BackupTooOld: the backup schedule's interval plus slack (daily: 26)."""
    namespace: Annotated[str, Field(pattern=DNS_LABEL)] = "monitoring"
    """Kubernetes namespace of the monitoring stack (one per cluster)."""
    receivers: dict[ReceiverName, ReceiverSettings] = Field(default_factory=dict)
    """Alert receivers by route; a route without a receiver keeps its alerts in Alertmanager only."""


def monitoring_secrets(
    config: ConfigValues, runs_monitoring: bool, placeholder_secrets: bool
) -> tuple[dict[str, str], list[Problem]]:
    """Grafana's admin password (with dashboards) and the credential of every configured receiver, each required and
    secret. A secret of a part that is off (Grafana, an unconfigured receiver) is accepted and not used, so turning
    a part off and on again does not mean deleting and setting its secret again."""
    monitoring = config.section("monitoring")
    if not runs_monitoring or not isinstance(monitoring, dict) or monitoring.get("enabled", True) is False:
        return {}, []
    given, problems = config.secrets("monitoringSecrets", "<name>")
    receivers = monitoring.get("receivers", {})
    needed = [
        # Read from the raw section like `enabled`: the model is validated later, with these results in it.
        *(["grafanaAdminPassword"] if monitoring.get("dashboards", True) is not False else []),
        *(name for name in RECEIVER_NAMES if isinstance(receivers, dict) and name in receivers),
    ]
    result: dict[str, str] = {}
    for name, value in given.items():
        if name not in MONITORING_SECRET_NAMES:
            problems.append(
                Problem(
                    path=f"monitoringSecrets.{name}",
                    message=f"unknown secret; allowed: {', '.join(MONITORING_SECRET_NAMES)}",
                )
            )
        elif not isinstance(value, str) or not value:
            problems.append(Problem(path=f"monitoringSecrets.{name}", message="expected a non-empty string secret"))
        else:
            result[name] = value
    for name in needed:
        if name in result or any(problem.path == f"monitoringSecrets.{name}" for problem in problems):
            continue
        if placeholder_secrets:
            result[name] = SECRET_PLACEHOLDER
        else:
            purpose = (
                "Grafana's admin password" if name == "grafanaAdminPassword" else f"the `{name}` receiver's credential"
            )
            problems.append(
                Problem(
                    path=f"monitoringSecrets.{name}",
                    message=f"missing ({purpose}); set it with "
                    f"`pulumi config set --secret --path monitoringSecrets.{name} <value>`",
                )
            )
    return result, problems
