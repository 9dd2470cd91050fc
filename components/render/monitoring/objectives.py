"""What the alerts promise, from the design documents: warning / critical thresholds and the SLOs.

Each alert carries its own one-line runbook, so the rules, the README table and the on-call page agree.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

Severity = Literal["critical", "warning", "info"]


@dataclass(frozen=True)
class Threshold:
    """A warning and a critical level of one per-service signal; each level is its own alert."""

    signal: Literal["cpu", "memory", "latency", "errors", "queue"]
    """What is measured; also the label that lets a critical alert silence its warning."""
    alert: str
    """Alert name stem: `<stem>High` is the warning, `<stem>Critical` the critical alert."""
    warning: float
    critical: float
    unit: Literal["ratio", "seconds", "count"]
    """How to print the level in messages."""
    meaning: str
    """What it means, for the alert's summary and the README."""
    runbook: str
    """The first thing to do, one line."""


THRESHOLDS: tuple[Threshold, ...] = (
    Threshold(
        signal="cpu",
        alert="ServiceCpu",
        warning=0.60,
        critical=0.85,
        unit="ratio",
        meaning="CPU use of the service's containers, as a share of their CPU limit",
        runbook="Check traffic and the dashboard's saturation panel; raise replicas.max or the tier, or find the "
        "hot session in the logs.",
    ),
    Threshold(
        signal="memory",
        alert="ServiceMemory",
        warning=0.70,
        critical=0.90,
        unit="ratio",
        meaning="working-set memory of the service's containers, as a share of their memory limit",
        runbook="Look for a leak (steady climb) or many open sessions; restart the service or raise its tier "
        "before the kernel kills it.",
    ),
    Threshold(
        signal="latency",
        alert="ServiceLatency",
        warning=0.5,
        critical=2.0,
        unit="seconds",
        meaning="p95 response time at the gateway over 5 minutes",
        runbook="Compare with CPU and memory; check the server's logs for slow tool calls or upstream timeouts.",
    ),
    Threshold(
        signal="errors",
        alert="ServiceErrorRate",
        warning=0.01,
        critical=0.10,
        unit="ratio",
        meaning="share of the service's requests answered with a 5xx status over 5 minutes",
        runbook="Read the service's logs in Grafana (Loki) for the failing requests; roll back a recent change.",
    ),
    Threshold(
        signal="queue",
        alert="ServiceQueueDepth",
        warning=100,
        critical=1000,
        unit="count",
        meaning="tasks waiting in the service's queue (`mcp_task_queue_depth`)",
        runbook="Check that the service's workers are alive and not erroring; scale out if intake outgrew them.",
    ),
)


@dataclass(frozen=True)
class Slo:
    """A 30-day objective on the good share of requests (availability: non-5xx; latency: under a bound)."""

    name: str
    """Value of the `slo` label."""
    alert: str
    """Alert name stem: `<stem>FastBurn` pages, `<stem>SlowBurn` opens a ticket."""
    scope: Literal["gateway", "services", "tools"]
    """The gateway as a whole, each catalog service (at the gateway), or each tool of each service behind the
    bridge (tools/call at the bridge, `sources.OPERATION_DURATION_METRIC`)."""
    objective: float
    """Share of good requests promised over 30 days."""
    latency_seconds: float | None = None
    """For latency SLOs: a request is good when faster than this (a histogram bound of the gateway, or of the
    bridge for tools)."""

    @property
    def error_budget(self) -> float:
        return 1 - self.objective


MCP_AVAILABILITY = Slo(name="mcp-availability", alert="McpAvailability", scope="services", objective=0.995)
MCP_LATENCY = Slo(name="mcp-latency", alert="McpLatency", scope="services", objective=0.95, latency_seconds=0.5)
# Each tool is held to its service's promises, so one tool failing or slow among many healthy ones still burns a
# budget of its own. A failed call is one with `error_type` (a JSON-RPC error or a tool result with `isError`).
TOOL_AVAILABILITY = replace(MCP_AVAILABILITY, name="mcp-tool-availability", alert="McpToolAvailability", scope="tools")
TOOL_LATENCY = replace(MCP_LATENCY, name="mcp-tool-latency", alert="McpToolLatency", scope="tools")

# "p95 under X" is kept as "95 % of requests under X", which makes it a ratio with an error budget of 5 %.
SLOS: tuple[Slo, ...] = (
    Slo(name="gateway-availability", alert="GatewayAvailability", scope="gateway", objective=0.999),
    Slo(name="gateway-latency", alert="GatewayLatency", scope="gateway", objective=0.95, latency_seconds=0.2),
    MCP_AVAILABILITY,
    MCP_LATENCY,
    TOOL_AVAILABILITY,
    TOOL_LATENCY,
)


@dataclass(frozen=True)
class BurnWindow:
    long: str
    short: str
    factor: float
    """Burn rate: how many times faster than allowed the budget is spent."""


@dataclass(frozen=True)
class BurnAlert:
    suffix: Literal["FastBurn", "SlowBurn"]
    severity: Severity
    windows: tuple[BurnWindow, ...]
    for_: str
    runbook: str


# The SRE workbook's multiwindow, multi-burn-rate alerts for a 30-day budget.
BURN_ALERTS: tuple[BurnAlert, ...] = (
    BurnAlert(
        suffix="FastBurn",
        severity="critical",
        windows=(BurnWindow("1h", "5m", 14.4), BurnWindow("6h", "30m", 6)),
        for_="2m",
        runbook="2 % of the month's error budget went in an hour (or 5 % in six): find the failing requests in the "
        "dashboard and logs now, mitigate (roll back, scale out), then investigate.",
    ),
    BurnAlert(
        suffix="SlowBurn",
        severity="warning",
        windows=(BurnWindow("1d", "2h", 3), BurnWindow("3d", "6h", 1)),
        for_="15m",
        runbook="The budget is being spent faster than it refills: plan a fix this week; the dashboard shows "
        "which service and which errors.",
    ),
)

SLI_WINDOWS: tuple[str, ...] = ("5m", "30m", "1h", "2h", "6h", "1d", "3d")
"""Every window a burn-rate alert reads, recorded once per SLO."""


@dataclass(frozen=True)
class SimpleAlert:
    """An alert with one level."""

    alert: str
    severity: Severity
    meaning: str
    runbook: str


PROBE_FAILING = SimpleAlert(
    alert="ServiceProbeFailing",
    severity="critical",
    meaning="the blackbox exporter got no 2xx from the service's health endpoint for 2 minutes",
    runbook="Check the container or pod (restarts, logs, events); on Docker `docker ps -a --filter "
    "label=app.kubernetes.io/name=<service>` and `docker logs` of it, on "
    "Kubernetes `kubectl -n <namespace> describe pod -l app.kubernetes.io/name=<service>`.",
)
BACKUP_TOO_OLD = SimpleAlert(
    alert="BackupTooOld",
    severity="warning",
    meaning="the last successful backup is older than the schedule allows (`monitoring.backupMaxAgeHours`)",
    runbook="Read the backup job's last run (logs, exit code: restic 10 no repository, 11 locked, 12 wrong "
    "password), fix it and run a backup by hand.",
)
