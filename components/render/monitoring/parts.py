"""Which optional parts of the monitoring stack run: the one value every renderer and component decides from.

Prometheus, Alertmanager and the blackbox exporter always run; the rest can be left out. What a missing part
takes with it (containers, releases, scrape jobs, datasources, rules and panels on its metrics) is decided from
this value in the renderers, so the two targets cannot disagree about it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

OptionalPart = Literal["dashboards", "logs", "tracing"]


@dataclass(frozen=True)
class MonitoringParts:
    dashboards: bool = True
    """Grafana, with the suite's datasources and dashboards (`monitoring.dashboards`)."""
    logs: bool = True
    """The log pipeline, Loki and Alloy (`monitoring.logs`); on Docker, Alloy also runs cAdvisor."""
    tracing: bool = False
    """Jaeger v2 (`monitoring.tracing`)."""

    def runs(self, part: OptionalPart | None) -> bool:
        """Whether `part` runs; None stands for the parts that always run."""
        return part is None or {"dashboards": self.dashboards, "logs": self.logs, "tracing": self.tracing}[part]
