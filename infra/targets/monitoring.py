"""Settings -> the monitoring inputs both targets pass their stack, secrets as secret Outputs."""

from __future__ import annotations

import pulumi

from components.monitoring_inputs import MonitoringInputs
from components.render.monitoring.alertmanager import Receiver
from infra.settings import Settings


def monitoring_inputs(settings: Settings) -> MonitoringInputs:
    monitoring = settings.monitoring
    return MonitoringInputs(
        retention=monitoring.retention,
        backup_max_age_hours=monitoring.backup_max_age_hours,
        tracing=monitoring.tracing,
        receivers={name: Receiver(kind=r.kind, channel=r.channel) for name, r in monitoring.receivers.items()},
        receiver_credentials={
            name: pulumi.Output.secret(settings.monitoring_secret(name) or "") for name in monitoring.receivers
        },
        grafana_admin_password=pulumi.Output.secret(settings.monitoring_secret("grafanaAdminPassword") or ""),
    )
