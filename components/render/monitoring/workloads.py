"""Kubernetes workloads of the monitoring stack that no chart provides: blackbox exporter and Jaeger v2.

Both meet the `restricted` Pod Security level and carry the same pod base as the services (`restricted_pod_spec`),
although their namespace admits more.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from components.render import labels
from components.render.monitoring.blackbox import BLACKBOX_PORT
from components.render.pod_security import restricted_container_security, restricted_pod_spec

if TYPE_CHECKING:
    from pulumi_kubernetes.apps.v1 import DeploymentSpecArgsDict
    from pulumi_kubernetes.core.v1 import ContainerArgsDict, ProbeArgsDict, ServiceSpecArgsDict, VolumeArgsDict

__all__ = ["BLACKBOX_PORT", "JAEGER_PORTS", "JAEGER_UI_PORT"]

JAEGER_UI_PORT = 16686
JAEGER_PORTS = {"otlp-grpc": 4317, "otlp-http": 4318, "ui": JAEGER_UI_PORT}
NOBODY = 65534


def _container(
    name: str, image: str, args: list[str], ports: dict[str, int], health: tuple[str, str], user: int
) -> ContainerArgsDict:
    path, port = health
    probe: ProbeArgsDict = {
        "http_get": {"path": path, "port": port},
        "period_seconds": 10,
        "timeout_seconds": 3,
        "failure_threshold": 3,
    }
    return {
        "name": name,
        "image": image,
        "image_pull_policy": "Always",
        "args": args,
        "ports": [
            {"name": port_name, "container_port": number, "protocol": "TCP"} for port_name, number in ports.items()
        ],
        "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"cpu": "500m", "memory": "256Mi"}},
        "liveness_probe": probe,
        "readiness_probe": probe,
        "security_context": restricted_container_security(user),
        "volume_mounts": [{"name": "tmp", "mount_path": "/tmp"}],
    }


def _deployment(
    name: str, container: ContainerArgsDict, volumes: list[VolumeArgsDict], user: int
) -> DeploymentSpecArgsDict:
    scratch: VolumeArgsDict = {"name": "tmp", "empty_dir": {"size_limit": "64Mi"}}
    # No claims: the blackbox exporter and Jaeger (in-memory storage) keep no data.
    pod = restricted_pod_spec(user, [container], [scratch, *volumes], mounts_claims=False)
    return {
        "replicas": 1,
        "selector": {"match_labels": labels.app(name)},
        "template": {"metadata": {"labels": labels.app(name)}, "spec": pod},
    }


def blackbox_deployment_spec(image: str, config_map: str) -> DeploymentSpecArgsDict:
    container = _container(
        "blackbox-exporter",
        image,
        ["--config.file=/etc/blackbox/blackbox.yml"],
        {"http": BLACKBOX_PORT},
        ("/-/healthy", "http"),
        NOBODY,
    )
    container["volume_mounts"] = [
        {"name": "tmp", "mount_path": "/tmp"},
        {"name": "config", "mount_path": "/etc/blackbox", "read_only": True},
    ]
    return _deployment("blackbox-exporter", container, [{"name": "config", "config_map": {"name": config_map}}], NOBODY)


def jaeger_deployment_spec(image: str, name: str) -> DeploymentSpecArgsDict:
    # Jaeger v2's default configuration: OTLP in, in-memory storage, UI on 16686.
    container = _container(name, image, [], JAEGER_PORTS, ("/", "ui"), 10001)
    return _deployment(name, container, [], 10001)


def service_spec(name: str, ports: dict[str, int]) -> ServiceSpecArgsDict:
    return {
        "type": "ClusterIP",
        "selector": labels.app(name),
        "ports": [
            {"name": port_name, "port": number, "target_port": port_name, "protocol": "TCP"}
            for port_name, number in ports.items()
        ],
    }
