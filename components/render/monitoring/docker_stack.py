"""The Docker monitoring containers (image, user, command, ports) and the files each one gets, from the catalog."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from components.render.docker_container import health_check
from components.render.monitoring.alertmanager import Receiver, alertmanager_config
from components.render.monitoring.blackbox import BLACKBOX_PORT, blackbox_config
from components.render.monitoring.dashboards import dashboards
from components.render.monitoring.grafana import dashboards_provider, datasources, datasources_file
from components.render.monitoring.logs import LOKI_PORT, alloy_docker_config, loki_config
from components.render.monitoring.parts import MonitoringParts, OptionalPart
from components.render.monitoring.prometheus_config import ALLOY_PORT, prometheus_config
from components.render.monitoring.rules import RuleContext, rule_groups
from components.render.monitoring.text import to_json, to_yaml
from components.spec import ServiceSpec

if TYPE_CHECKING:
    from pulumi_docker import ContainerHealthcheckArgsDict

CONFIG_DIR = "/etc/mcp-monitoring"
ALERTMANAGER_SECRETS_DIR = f"{CONFIG_DIR}/secrets"
JAEGER_UI_PORT = 16686
NOBODY = "65534:65534"

# Image pins, each seen published (see docs/monitoring.md).
PROMETHEUS_IMAGE = "docker.io/prom/prometheus:v3.15.0"
ALERTMANAGER_IMAGE = "docker.io/prom/alertmanager:v0.34.1"
GRAFANA_IMAGE = "docker.io/grafana/grafana:13.2.1"
LOKI_IMAGE = "docker.io/grafana/loki:3.7.8"
ALLOY_IMAGE = "docker.io/grafana/alloy:v1.20.1"
BLACKBOX_IMAGE = "docker.io/prom/blackbox-exporter:v0.28.0"
JAEGER_IMAGE = "docker.io/jaegertracing/jaeger:2.21.0"


@dataclass(frozen=True)
class Role:
    """One monitoring container."""

    name: str
    """Container role and its name on the internal network."""
    image: str
    """Pinned image reference."""
    user: str
    """`uid:gid`; the image's own non-root user, so its data directories are writable."""
    command: list[str]
    """Arguments for the image's entrypoint; empty keeps the image's default."""
    port: int
    """Port the container serves on the internal network."""
    part: OptionalPart | None
    """The optional part of the stack it belongs to (`MonitoringParts`); None for the parts that always run."""
    host_port: int | None
    """Loopback host port of its UI; None keeps it on the internal network only."""
    data_path: str | None = None
    """Where a named data volume is mounted."""
    healthcheck: list[str] | None = None
    """Docker health check; None for distroless images with no tool to run (Prometheus scrapes their `up`)."""
    memory_mib: int = 256
    """Memory limit."""
    cpus: float = 0.5
    """CPU limit in cores."""
    env: tuple[str, ...] = ()
    """Plain environment (`KEY=value`)."""
    host_mounts: tuple[str, ...] = ()
    """Host paths mounted read-only at the same path (Alloy: the Docker socket, and /sys for cAdvisor)."""
    host_cgroup_namespace: bool = False
    """Share the host's cgroup namespace, so cAdvisor sees every container's cgroup, not only its own."""
    policy_allowances: tuple[str, ...] = ()
    """Named exceptions of the policy pack (docs/policy.md) this container needs, set as a label; the pack still
    checks the container has each allowance's exact shape."""


POLICY_ALLOWANCE_LABEL = "mcp-suite/policy-allowance"
NO_PROBE_TOOL = "no-probe-tool"
DOCKER_SOCKET_READER = "docker-socket-reader"


def memory_reservation_mib(role: Role) -> int:
    """Soft floor Docker keeps for the container under memory pressure: half its limit."""
    return role.memory_mib // 2


def policy_labels(role: Role) -> dict[str, str]:
    return {POLICY_ALLOWANCE_LABEL: ",".join(role.policy_allowances)} if role.policy_allowances else {}


def _wget(port: int, path: str) -> list[str]:
    return ["CMD", "wget", "-q", "-O", "/dev/null", f"http://127.0.0.1:{port}{path}"]


def roles(parts: MonitoringParts, retention: str, host_port_base: int = 19090) -> list[Role]:
    """The containers of the parts that run, in a stable order: the one place that says which role runs when.

    UIs: Prometheus base, Alertmanager base+3, Grafana base+10, Jaeger base+20."""
    every_role = [
        Role(
            name="prometheus",
            image=PROMETHEUS_IMAGE,
            user=NOBODY,
            command=[
                f"--config.file={CONFIG_DIR}/prometheus.yml",
                "--storage.tsdb.path=/prometheus",
                f"--storage.tsdb.retention.time={retention}",
                "--web.enable-lifecycle",
            ],
            port=9090,
            part=None,
            host_port=host_port_base,
            data_path="/prometheus",
            healthcheck=_wget(9090, "/-/healthy"),
            memory_mib=1024,
            cpus=1,
        ),
        Role(
            name="alertmanager",
            image=ALERTMANAGER_IMAGE,
            user=NOBODY,
            command=[f"--config.file={CONFIG_DIR}/alertmanager.yml", "--storage.path=/alertmanager"],
            port=9093,
            part=None,
            host_port=host_port_base + 3,
            data_path="/alertmanager",
            healthcheck=_wget(9093, "/-/healthy"),
            memory_mib=128,
            cpus=0.2,
        ),
        Role(
            name="grafana",
            image=GRAFANA_IMAGE,
            user="472:0",
            command=[],
            port=3000,
            part="dashboards",
            host_port=host_port_base + 10,
            data_path="/var/lib/grafana",
            healthcheck=_wget(3000, "/api/health"),
            memory_mib=384,
            env=(
                f"GF_PATHS_PROVISIONING={CONFIG_DIR}/provisioning",
                "GF_AUTH_ANONYMOUS_ENABLED=false",
                # Console only: the root filesystem is read-only, so no log files.
                "GF_LOG_MODE=console",
                "GF_ANALYTICS_REPORTING_ENABLED=false",
                "GF_ANALYTICS_CHECK_FOR_UPDATES=false",
                "GF_SECURITY_ADMIN_USER=admin",
            ),
        ),
        Role(
            name="loki",
            image=LOKI_IMAGE,
            user="10001:10001",
            command=[f"-config.file={CONFIG_DIR}/loki.yml"],
            port=LOKI_PORT,
            part="logs",
            host_port=None,
            data_path="/loki",
            memory_mib=512,
            # Distroless: no shell, wget or curl to run a health check with.
            policy_allowances=(NO_PROBE_TOOL,),
        ),
        Role(
            name="alloy",
            image=ALLOY_IMAGE,
            # Root only to read the Docker socket (owned root:docker); all capabilities stay dropped.
            user="0:0",
            command=[
                "run",
                f"{CONFIG_DIR}/config.alloy",
                f"--server.http.listen-addr=0.0.0.0:{ALLOY_PORT}",
                "--storage.path=/tmp/alloy",
            ],
            port=ALLOY_PORT,
            part="logs",
            host_port=None,
            host_mounts=("/var/run/docker.sock", "/sys"),
            host_cgroup_namespace=True,
            policy_allowances=(DOCKER_SOCKET_READER, NO_PROBE_TOOL),
        ),
        Role(
            name="blackbox",
            image=BLACKBOX_IMAGE,
            user=NOBODY,
            command=[f"--config.file={CONFIG_DIR}/blackbox.yml"],
            port=BLACKBOX_PORT,
            part=None,
            host_port=None,
            healthcheck=_wget(BLACKBOX_PORT, "/-/healthy"),
            memory_mib=64,
            cpus=0.2,
        ),
        Role(
            name="jaeger",
            image=JAEGER_IMAGE,
            user="10001:10001",
            command=[],
            port=JAEGER_UI_PORT,
            part="tracing",
            host_port=host_port_base + 20,
            policy_allowances=(NO_PROBE_TOOL,),
        ),
    ]
    return [role for role in every_role if parts.runs(role.part)]


def healthcheck(role: Role) -> ContainerHealthcheckArgsDict | None:
    if role.healthcheck is None:
        return None
    return health_check(role.healthcheck, interval_s=15, timeout_s=3, start_period_s=30)


@dataclass(frozen=True)
class DockerMonitoringFiles:
    """Generated files per role, paths relative to CONFIG_DIR."""

    by_role: dict[str, dict[str, str]] = field(default_factory=dict)


def docker_files(
    services: tuple[ServiceSpec, ...],
    stack: str,
    container_prefix: str,
    retention: str,
    backup_max_age_hours: int,
    parts: MonitoringParts,
    receivers: dict[str, Receiver],
) -> DockerMonitoringFiles:
    """The files of exactly the roles `roles(parts, ...)` runs."""
    context = RuleContext(
        target="docker",
        services=services,
        container_prefix=container_prefix,
        namespace="",
        backup_max_age_hours=backup_max_age_hours,
        parts=parts,
    )
    loki = f"http://loki:{LOKI_PORT}"
    renderers: dict[str, Callable[[], dict[str, str]]] = {
        "prometheus": lambda: {
            "prometheus.yml": to_yaml(prometheus_config(services, stack, [f"{CONFIG_DIR}/rules/*.yml"], parts)),
            "rules/mcp-suite.yml": to_yaml({"groups": rule_groups(context)}),
        },
        "alertmanager": lambda: {"alertmanager.yml": to_yaml(alertmanager_config(receivers, ALERTMANAGER_SECRETS_DIR))},
        "grafana": lambda: _grafana_files(services, parts, loki),
        "loki": lambda: {"loki.yml": to_yaml(loki_config(retention))},
        "alloy": lambda: {"config.alloy": alloy_docker_config(loki, container_prefix)},
        "blackbox": lambda: {"blackbox.yml": to_yaml(blackbox_config())},
        "jaeger": dict,
    }
    # Rendered per running role, so which parts run is decided in `roles` alone.
    return DockerMonitoringFiles(by_role={role.name: renderers[role.name]() for role in roles(parts, retention)})


def _grafana_files(services: tuple[ServiceSpec, ...], parts: MonitoringParts, loki: str) -> dict[str, str]:
    jaeger = f"http://jaeger:{JAEGER_UI_PORT}" if parts.tracing else None
    sources = datasources("http://prometheus:9090", "http://alertmanager:9093", loki if parts.logs else None, jaeger)
    files = {
        "provisioning/datasources/mcp-suite.yml": to_yaml(datasources_file(sources)),
        "provisioning/dashboards/mcp-suite.yml": to_yaml(dashboards_provider(f"{CONFIG_DIR}/dashboards")),
    }
    files.update({f"dashboards/{file}": to_json(body) for file, body in dashboards("docker", services, parts).items()})
    return files
