"""Pure renderers of a service's Kubernetes workload: functions of a ServiceSpec, no Pulumi resources inside.

They return the providers' own typed dicts, so a strict type check catches a wrong field name.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from components.render import labels as common_labels
from components.render.bridge import container_args
from components.render.pod_security import restricted_container_security, restricted_pod_spec
from components.spec import ServiceSpec

if TYPE_CHECKING:
    from pulumi import Input
    from pulumi_kubernetes.apps.v1 import DeploymentSpecArgsDict, StatefulSetSpecArgsDict
    from pulumi_kubernetes.autoscaling.v2 import HorizontalPodAutoscalerSpecArgsDict
    from pulumi_kubernetes.core.v1 import (
        ContainerArgsDict,
        ContainerPortArgsDict,
        EnvFromSourceArgsDict,
        PersistentVolumeClaimSpecArgsDict,
        PodTemplateSpecArgsDict,
        ProbeArgsDict,
        ServicePortArgsDict,
        ServiceSpecArgsDict,
        VolumeArgsDict,
        VolumeMountArgsDict,
    )
    from pulumi_kubernetes.policy.v1 import PodDisruptionBudgetSpecArgsDict

TMP_SIZE = "64Mi"
PORT_NAME = "http"
METRICS_PORT_NAME = "metrics"


def metrics_port_name(spec: ServiceSpec) -> str | None:
    """Name of the Service port that serves the spec's metrics; None when the server exposes none."""
    if spec.metrics is None:
        return None
    return PORT_NAME if spec.metrics.port == spec.port else METRICS_PORT_NAME


def _extra_metrics_port(spec: ServiceSpec) -> int | None:
    return spec.metrics.port if spec.metrics is not None and spec.metrics.port != spec.port else None


def selector_labels(spec: ServiceSpec) -> dict[str, str]:
    """Labels that select the service's pods; stable for the life of the workload (selectors are immutable)."""
    return common_labels.app(spec.name)


def labels(spec: ServiceSpec) -> dict[str, str]:
    return {
        **common_labels.workload(spec.name, "mcp-server"),
        "mcp-suite/transport": spec.transport,
        "mcp-suite/state": "stateful" if spec.stateful else "stateless",
    }


def config_env(spec: ServiceSpec) -> dict[str, str]:
    """Plain environment of the container, held in its ConfigMap."""
    return dict(spec.env)


def config_checksum(spec: ServiceSpec) -> str:
    """Changes when the plain env changes, so the pod template changes and the pods roll."""
    return hashlib.sha256(json.dumps(config_env(spec), sort_keys=True).encode()).hexdigest()[:16]


def _probe(spec: ServiceSpec, period: int, failures: int) -> ProbeArgsDict:
    return {
        "http_get": {"path": spec.health_path, "port": PORT_NAME},
        "period_seconds": period,
        "timeout_seconds": 3,
        "failure_threshold": failures,
    }


def volume_claim_name(prefix: str, purpose: str) -> str:
    return f"{prefix}-{purpose}"


def volume_claim_spec(size: str, access_mode: str, storage_class: str | None) -> PersistentVolumeClaimSpecArgsDict:
    spec: PersistentVolumeClaimSpecArgsDict = {
        "access_modes": [access_mode],
        "resources": {"requests": {"storage": size}},
    }
    if storage_class is not None:
        spec["storage_class_name"] = storage_class
    return spec


@dataclass(frozen=True)
class PodInputs:
    """What a service's pods are made of besides its spec: the objects around them and the names clients use."""

    image: Input[str]
    """The image the pods run."""
    prefix: str
    """Prefix of the suite's shared objects, such as volume claims."""
    config_map_name: str
    """The ConfigMap of the service's plain environment."""
    secret_name: str | None
    """The Secret of its secret environment, if it has one."""
    hosts: Sequence[str]
    """The names clients reach it by besides its own (see `cluster_hosts`)."""


def container(spec: ServiceSpec, pod: PodInputs) -> ContainerArgsDict:
    resources = spec.resources
    env_from: list[EnvFromSourceArgsDict] = [{"config_map_ref": {"name": pod.config_map_name}}]
    if pod.secret_name is not None:
        env_from.append({"secret_ref": {"name": pod.secret_name}})
    mounts: list[VolumeMountArgsDict] = [{"name": "tmp", "mount_path": "/tmp"}]
    mounts += [
        {"name": mount.volume, "mount_path": mount.mount_path, "read_only": mount.read_only} for mount in spec.volumes
    ]
    ports: list[ContainerPortArgsDict] = [{"name": PORT_NAME, "container_port": spec.port, "protocol": "TCP"}]
    metrics_port = _extra_metrics_port(spec)
    if metrics_port is not None:
        ports.append({"name": METRICS_PORT_NAME, "container_port": metrics_port, "protocol": "TCP"})
    result: ContainerArgsDict = {
        "name": spec.name,
        "image": pod.image,
        # Always: tags are re-resolved on every start, so a re-pushed tag cannot run stale code unnoticed.
        "image_pull_policy": "Always",
        "ports": ports,
        "env_from": env_from,
        "resources": {
            "requests": {"cpu": resources.cpu_request_k8s, "memory": resources.memory_request_k8s},
            "limits": {"cpu": resources.cpu_limit_k8s, "memory": resources.memory_limit_k8s},
        },
        "startup_probe": _probe(spec, period=2, failures=60),
        "liveness_probe": _probe(spec, period=10, failures=3),
        "readiness_probe": _probe(spec, period=5, failures=2),
        "security_context": restricted_container_security(spec.run_as_user),
        "volume_mounts": mounts,
    }
    args = container_args(spec, pod.hosts)
    if args is not None:
        result["args"] = args
    return result


def cluster_hosts(spec: ServiceSpec, namespace: str, public_host: str | None) -> list[str]:
    """The names a service is reached by on a cluster: its Service's DNS names, and the gateway's host, which the
    gateway passes on in `Host`."""
    service = f"{spec.name}.{namespace}"
    names = [service, f"{service}.svc", f"{service}.svc.cluster.local"]
    return [*names, public_host] if public_host is not None else names


def pod_template(spec: ServiceSpec, inputs: PodInputs) -> PodTemplateSpecArgsDict:
    volumes: list[VolumeArgsDict] = [{"name": "tmp", "empty_dir": {"size_limit": TMP_SIZE}}]
    volumes += [
        {
            "name": mount.volume,
            "persistent_volume_claim": {
                "claim_name": volume_claim_name(inputs.prefix, mount.volume),
                "read_only": mount.read_only,
            },
        }
        for mount in spec.volumes
    ]
    pod = restricted_pod_spec(spec.run_as_user, [container(spec, inputs)], volumes)
    pod["termination_grace_period_seconds"] = 30
    return {
        "metadata": {
            "labels": labels(spec),
            "annotations": {"mcp-suite/config-checksum": config_checksum(spec)},
        },
        "spec": pod,
    }


def deployment_spec(spec: ServiceSpec, pod: PodInputs) -> DeploymentSpecArgsDict:
    # No `replicas`: the HorizontalPodAutoscaler owns the count, and an update must not reset it.
    return {
        "selector": {"match_labels": selector_labels(spec)},
        "revision_history_limit": 10,
        "progress_deadline_seconds": 600,
        # maxUnavailable 0: a new pod must be ready before an old one goes, so updates never drop capacity.
        "strategy": {"type": "RollingUpdate", "rolling_update": {"max_unavailable": 0, "max_surge": 1}},
        "template": pod_template(spec, pod),
    }


def stateful_set_spec(spec: ServiceSpec, pod: PodInputs, service_name: str) -> StatefulSetSpecArgsDict:
    return {
        "replicas": spec.replicas.min,
        "service_name": service_name,
        "selector": {"match_labels": selector_labels(spec)},
        "revision_history_limit": 10,
        "pod_management_policy": "OrderedReady",
        "update_strategy": {"type": "RollingUpdate", "rolling_update": {"partition": 0}},
        # Claims are separate PersistentVolumeClaims owned by StorageVolumes, so they outlive the workload.
        "persistent_volume_claim_retention_policy": {"when_deleted": "Retain", "when_scaled": "Retain"},
        "template": pod_template(spec, pod),
    }


def service_spec(spec: ServiceSpec) -> ServiceSpecArgsDict:
    ports: list[ServicePortArgsDict] = [
        {"name": PORT_NAME, "port": spec.port, "target_port": PORT_NAME, "protocol": "TCP", "app_protocol": "http"}
    ]
    metrics_port = _extra_metrics_port(spec)
    if metrics_port is not None:
        ports.append(
            {
                "name": METRICS_PORT_NAME,
                "port": metrics_port,
                "target_port": METRICS_PORT_NAME,
                "protocol": "TCP",
                "app_protocol": "http",
            }
        )
    return {"type": "ClusterIP", "selector": selector_labels(spec), "ports": ports}


def autoscaler_spec(spec: ServiceSpec, deployment_name: str) -> HorizontalPodAutoscalerSpecArgsDict:
    return {
        "scale_target_ref": {"api_version": "apps/v1", "kind": "Deployment", "name": deployment_name},
        "min_replicas": spec.replicas.min,
        "max_replicas": spec.replicas.max,
        "metrics": [
            {
                "type": "Resource",
                "resource": {"name": "cpu", "target": {"type": "Utilization", "average_utilization": 70}},
            },
            {
                "type": "Resource",
                "resource": {"name": "memory", "target": {"type": "Utilization", "average_utilization": 80}},
            },
        ],
    }


def disruption_budget_spec(spec: ServiceSpec) -> PodDisruptionBudgetSpecArgsDict:
    # One pod at a time may be evicted voluntarily; with one replica a drain still proceeds.
    return {"max_unavailable": 1, "selector": {"match_labels": selector_labels(spec)}}
