"""Settings -> monitoring inputs shared by both targets: receivers and their credentials as secret Outputs."""

from __future__ import annotations

import pulumi

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
