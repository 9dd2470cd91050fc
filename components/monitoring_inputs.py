"""What the monitoring stacks of both targets take from settings, built once per stack."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from components.render.monitoring.alertmanager import Receiver
from components.render.monitoring.parts import MonitoringParts


@dataclass(frozen=True)
class MonitoringInputs:
    retention: str
    """How long Prometheus and Loki keep data, e.g. `15d`."""
    backup_max_age_hours: int
    """A backup older than this raises BackupTooOld."""
    parts: MonitoringParts
    """Which optional parts run: Grafana (dashboards), Loki and Alloy (logs), Jaeger v2 (tracing)."""
    receivers: dict[str, Receiver]
    """`page` / `ticket` receivers."""
    receiver_credentials: dict[str, pulumi.Output[str]]
    """Secret Outputs keyed like `receivers`."""
    grafana_admin_password: pulumi.Output[str] | None
    """Secret Output; None exactly when Grafana does not run (`parts.dashboards` off)."""

    def __post_init__(self) -> None:
        # Consumers narrow the password by `is not None`: an unset one with Grafana running would start it with
        # Grafana's default admin password, so the two must never disagree.
        if (self.grafana_admin_password is not None) != self.parts.dashboards:
            raise ValueError("grafana_admin_password is given exactly when dashboards are on")
