"""Pure renderers of the tunnel's connector: cloudflared, in the suite's namespace, dialling out to Cloudflare.

The tunnel has no public hostname: the only way in is the edge worker's Workers VPC binding, which Cloudflare
delivers through these connections to the gateway's in-cluster Service. Nothing listens for the outside.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from components.render import labels
from components.render.pod_security import restricted_container_security, restricted_pod_spec

if TYPE_CHECKING:
    from pulumi_kubernetes.apps.v1 import DeploymentSpecArgsDict
    from pulumi_kubernetes.core.v1 import ContainerArgsDict, VolumeArgsDict
    from pulumi_kubernetes.policy.v1 import PodDisruptionBudgetSpecArgsDict

NAME = "cloudflared"
METRICS_PORT = 2000
UID = 65532
"""The `nonroot` user of cloudflared's distroless image."""
TOKEN_SECRET = "cloudflared-token"
TOKEN_KEY = "token"
"""Key of the connector's Secret that holds the tunnel token."""
TOKEN_DIR = "/etc/cloudflared/token"


def selector_labels() -> dict[str, str]:
    return labels.app(NAME)


def pod_labels() -> dict[str, str]:
    return labels.workload(NAME, "tunnel")


def deployment_spec(image: str, replicas: int) -> DeploymentSpecArgsDict:
    container: ContainerArgsDict = {
        "name": NAME,
        "image": image,
        "args": [
            "tunnel",
            "--no-autoupdate",
            # Workers VPC needs QUIC; the edge reaches the origin through nothing else.
            "--protocol",
            "quic",
            "--metrics",
            f"0.0.0.0:{METRICS_PORT}",
            "run",
            # A file from its Secret: an argument shows in the pod spec and `ps`, a variable in every child's env.
            "--token-file",
            f"{TOKEN_DIR}/{TOKEN_KEY}",
        ],
        "image_pull_policy": "Always",
        "volume_mounts": [{"name": "token", "mount_path": TOKEN_DIR, "read_only": True}],
        "ports": [{"name": "metrics", "container_port": METRICS_PORT, "protocol": "TCP"}],
        "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"cpu": "500m", "memory": "256Mi"}},
        # /ready answers 200 once the connector holds a connection to Cloudflare's edge.
        "readiness_probe": {"http_get": {"path": "/ready", "port": METRICS_PORT}, "period_seconds": 5},
        "liveness_probe": {
            "http_get": {"path": "/ready", "port": METRICS_PORT},
            "period_seconds": 10,
            "failure_threshold": 6,
        },
        "security_context": restricted_container_security(UID),
    }
    # fsGroup: the token file is readable by the connector's group only.
    token: VolumeArgsDict = {"name": "token", "secret": {"secret_name": TOKEN_SECRET, "default_mode": 0o440}}
    pod = restricted_pod_spec(UID, [container], [token])
    return {
        "replicas": replicas,
        "selector": {"match_labels": selector_labels()},
        "strategy": {"type": "RollingUpdate", "rolling_update": {"max_unavailable": 0, "max_surge": 1}},
        "template": {"metadata": {"labels": pod_labels()}, "spec": pod},
    }


def disruption_budget_spec() -> PodDisruptionBudgetSpecArgsDict:
    """With several connectors, a drain takes one at a time: the edge's only way in stays open."""
    return {"selector": {"match_labels": selector_labels()}, "max_unavailable": 1}
