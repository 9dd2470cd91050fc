"""Alertmanager routing: critical pages, warning opens a ticket, info stays silent.

Receiver credentials never enter the config: it names files (`*_file`) that hold them, mounted from secrets.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from components.render.monitoring.sources import TOOL_LABEL

ReceiverKind = Literal["slack", "pagerduty"]
SILENT = "silent"
ROUTES: tuple[tuple[str, str], ...] = (("critical", "page"), ("warning", "ticket"), ("info", SILENT))
"""(severity, receiver) in routing order."""


@dataclass(frozen=True)
class Receiver:
    kind: ReceiverKind
    channel: str | None = None
    """Slack channel; None keeps the webhook's own."""


def alertmanager_config(receivers: Mapping[str, Receiver], secrets_dir: str) -> dict[str, Any]:
    """The whole config; `receivers` maps `page`/`ticket` to a receiver, whose credential is `<secrets_dir>/<name>`.

    A route without a receiver still exists: its alerts show in Alertmanager's UI and are sent nowhere.
    """
    routes = [
        {
            "matchers": [f'severity="{severity}"'],
            "receiver": receiver,
            # Pages repeat sooner: an unresolved page is still urgent four hours later.
            "repeat_interval": "4h" if severity == "critical" else "24h",
        }
        for severity, receiver in ROUTES
    ]
    return {
        "route": {
            "receiver": SILENT,
            "group_by": ["alertname", "service"],
            "group_wait": "30s",
            "group_interval": "5m",
            "repeat_interval": "12h",
            "routes": routes,
        },
        # A critical alert makes the warning on the same signal of the same service (and tool) redundant. A label
        # neither alert has counts as equal, so the tool only tells apart per-tool alerts of one service.
        "inhibit_rules": [
            {
                "source_matchers": ['severity="critical"'],
                "target_matchers": ['severity="warning"'],
                "equal": ["service", TOOL_LABEL, "signal"],
            }
        ],
        "receivers": [
            {"name": SILENT},
            *(_receiver(name, receivers.get(name), secrets_dir) for name in ("page", "ticket")),
        ],
    }


def _receiver(name: str, receiver: Receiver | None, secrets_dir: str) -> dict[str, Any]:
    if receiver is None:
        return {"name": name}
    credential = f"{secrets_dir}/{name}"
    if receiver.kind == "pagerduty":
        return {"name": name, "pagerduty_configs": [{"routing_key_file": credential, "send_resolved": True}]}
    slack: dict[str, Any] = {"api_url_file": credential, "send_resolved": True}
    if receiver.channel is not None:
        slack["channel"] = receiver.channel
    return {"name": name, "slack_configs": [slack]}
