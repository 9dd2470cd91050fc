"""Settings -> the monitoring inputs both targets pass their stack, secrets as secret Outputs."""

from __future__ import annotations

import pulumi

from components.monitoring_inputs import MonitoringInputs
from components.render.monitoring.alertmanager import Receiver
from components.render.monitoring.parts import MonitoringParts
from infra.settings import Settings


def monitoring_inputs(settings: Settings) -> MonitoringInputs:
    monitoring = settings.monitoring
    return MonitoringInputs(
        retention=monitoring.retention,
        backup_max_age_hours=monitoring.backup_max_age_hours,
        parts=MonitoringParts(dashboards=monitoring.dashboards, logs=monitoring.logs, tracing=monitoring.tracing),
        receivers={name: Receiver(kind=r.kind, channel=r.channel) for name, r in monitoring.receivers.items()},
        receiver_credentials={
            name: pulumi.Output.secret(settings.monitoring_secret(name) or "") for name in monitoring.receivers
        },
        # Settings require the password exactly when dashboards are on; one given with them off is not used.
        grafana_admin_password=pulumi.Output.secret(settings.monitoring_secret("grafanaAdminPassword") or "")
        if monitoring.dashboards
        else None,
    )
