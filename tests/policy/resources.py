"""Known-good resources in wire format (camelCase, as the engine hands them to policies), and a way to break them."""

from __future__ import annotations

import copy
from typing import Any

from policy.mcp_policies import RESOURCE_RULES, Resource, RuleContext, resource_violations

DEPLOYMENT = "kubernetes:apps/v1:Deployment"
CRON_JOB = "kubernetes:batch/v1:CronJob"
CONFIG_MAP = "kubernetes:core/v1:ConfigMap"
CLAIM = "kubernetes:core/v1:PersistentVolumeClaim"
STATEFUL_SET = "kubernetes:apps/v1:StatefulSet"
DOCKER_CONTAINER = "docker:index/container:Container"
DOCKER_IMAGE = "docker:index/remoteImage:RemoteImage"
DOCKER_VOLUME = "docker:index/volume:Volume"
DNS_RECORD = "cloudflare:index/dnsRecord:DnsRecord"
HELM_RELEASE = "kubernetes:helm.sh/v3:Release"
STAGING = RuleContext(production=False, digests_required=False)
PROD = RuleContext(production=True, digests_required=False)
DIGESTS = RuleContext(production=False, digests_required=True)
# Synthetic digest for a synthetic repository: test data, not a pin of any published image.
SYNTHETIC_DIGEST = "sha256:" + "0123456789abcdef" * 4


def container(name: str = "web") -> dict[str, Any]:
    probe = {"httpGet": {"path": "/healthz", "port": "http"}}
    return {
        "name": name,
        "image": "docker.io/example/web:1.2.3",
        "ports": [{"name": "http", "containerPort": 8000}],
        "resources": {"requests": {"cpu": "200m", "memory": "256Mi"}, "limits": {"cpu": "1", "memory": "512Mi"}},
        "livenessProbe": probe,
        "readinessProbe": probe,
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "runAsNonRoot": True,
            "runAsUser": 10001,
            "capabilities": {"drop": ["ALL"]},
            "seccompProfile": {"type": "RuntimeDefault"},
        },
    }


def pod_spec() -> dict[str, Any]:
    return {
        "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
        "containers": [container()],
        "volumes": [{"name": "tmp", "emptyDir": {}}],
    }


def deployment(name: str = "web", component: str = "mcp-server") -> dict[str, Any]:
    """An MCP service's Deployment, labelled as the renderer labels them (or another `component`)."""
    labels = {"app.kubernetes.io/name": name}
    pod_labels = {**labels, "app.kubernetes.io/component": component}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": "mcp", "labels": labels},
        "spec": {
            "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": pod_labels}, "spec": pod_spec()},
        },
    }


def cron_job() -> dict[str, Any]:
    spec = pod_spec()
    for entry in spec["containers"]:
        del entry["livenessProbe"], entry["readinessProbe"]
    return {"spec": {"schedule": "0 3 * * *", "jobTemplate": {"spec": {"template": {"spec": spec}}}}}


def docker_container() -> dict[str, Any]:
    return {
        "image": "sha256:" + "ab" * 32,
        "user": "10001:10001",
        "readOnly": True,
        "capabilities": {"drops": ["ALL"]},
        "securityOpts": ["no-new-privileges:true"],
        "memory": 512,
        "memoryReservation": 256,
        "cpus": "1",
        "healthcheck": {"tests": ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8000/healthz"]},
        "ports": [{"internal": 8000, "external": 18000, "ip": "127.0.0.1"}],
        "volumes": [{"volumeName": "mcp-dev-data", "containerPath": "/data"}],
        "envs": ["HOME=/tmp", "LOG_LEVEL=info"],
    }


def changed(base: dict[str, Any], *edits: tuple[str, Any]) -> dict[str, Any]:
    """A deep copy of `base` with each dotted path set (None deletes it); list items by index."""
    result = copy.deepcopy(base)
    for dotted, value in edits:
        *parents, last = dotted.split(".")
        target: Any = result
        for key in parents:
            target = target[int(key)] if isinstance(target, list) else target.setdefault(key, {})
        if value is None:
            del target[last]
        elif isinstance(target, list):
            target[int(last)] = value
        else:
            target[last] = value
    return result


def violations(
    rule_name: str, resource_type: str, props: dict[str, Any], context: RuleContext = STAGING, **options: Any
) -> list[str]:
    rule = next(rule for rule in RESOURCE_RULES if rule.name == rule_name)
    return resource_violations(rule, Resource(type=resource_type, name="subject", props=props, **options), context)
