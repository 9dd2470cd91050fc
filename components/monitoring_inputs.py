"""What the monitoring stacks of both targets take from settings, built once per stack."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from components.render.monitoring.alertmanager import Receiver


@dataclass(frozen=True)
class MonitoringInputs:
    retention: str
    """How long Prometheus and Loki keep data, e.g. `15d`."""
    backup_max_age_hours: int
    """A backup older than this raises BackupTooOld."""
    tracing: bool
    """Run Jaeger v2."""
    receivers: dict[str, Receiver]
    """`page` / `ticket` receivers."""
    receiver_credentials: dict[str, pulumi.Output[str]]
    """Secret Outputs keyed like `receivers`."""
    grafana_admin_password: pulumi.Output[str]
    """Secret Output."""
