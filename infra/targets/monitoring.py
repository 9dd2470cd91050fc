"""Settings -> the monitoring inputs both targets pass their stack, secrets as secret Outputs."""

from __future__ import annotations

import pulumi

from components.monitoring_inputs import MonitoringInputs
from components.render.monitoring.alertmanager import Receiver
from infra.settings import Settings


def receivers(settings: Settings) -> dict[str, Receiver]:
    return {name: Receiver(kind=r.kind, channel=r.channel) for name, r in settings.monitoring.receivers.items()}


def receiver_credentials(settings: Settings) -> dict[str, pulumi.Output[str]]:
    return {
        name: pulumi.Output.secret(settings.monitoring_secret(name) or "") for name in settings.monitoring.receivers
    }


def grafana_admin_password(settings: Settings) -> pulumi.Output[str]:
    return pulumi.Output.secret(settings.monitoring_secret("grafanaAdminPassword") or "")


def monitoring_inputs(settings: Settings) -> MonitoringInputs:
    return MonitoringInputs(
        retention=settings.monitoring.retention,
        backup_max_age_hours=settings.monitoring.backup_max_age_hours,
        tracing=settings.monitoring.tracing,
        receivers=receivers(settings),
        receiver_credentials=receiver_credentials(settings),
        grafana_admin_password=grafana_admin_password(settings),
    )
