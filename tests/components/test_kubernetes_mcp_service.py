"""Kubernetes McpService under mocks: one spec in, the hardened workload and its companions out."""

from __future__ import annotations

from typing import Any

import pulumi
import pytest

from components.kubernetes.mcp_service import McpService, McpServiceArgs
from components.spec import Replicas, ServiceSpec
from infra.mock_runtime import REDACTED, Evaluation, evaluate

BUILT_DIGEST = f"registry.example.com/mcp-suite/memory@sha256:{'a' * 64}"
STATELESS = ServiceSpec.model_validate(
    {
        "name": "search",
        "image": "ghcr.io/example/search:1.4.2",
        "transport": "streamable-http",
        "port": 8080,
        "healthPath": "/health",
        "tier": "medium",
        "env": {"LOG_FORMAT": "json"},
        "secretEnv": ["API_KEY"],
        "replicas": {"min": 2, "max": 6},
        "sessions": "stateless",
    }
)
STATEFUL = ServiceSpec.model_validate(
    {
        "name": "memory",
        "build": {"server": "memory"},
        "transport": "stdio",
        "bridge": {"serializeCalls": True},
        "port": 8000,
        "stateful": True,
        "volumes": [
            {"volume": "memory-graph", "mountPath": "/data/graph"},
            {"volume": "snapshots", "mountPath": "/data/snapshots", "readOnly": True},
        ],
    }
)


def build(spec: ServiceSpec) -> Evaluation:
    def program() -> McpService:
        return McpService(
            spec.name,
            McpServiceArgs(
                spec=spec,
                image=spec.image or BUILT_DIGEST,
                namespace="mcp-test",
                name_prefix="mcp-test",
                public_host="mcp.example.com",
                secret_env={name: pulumi.Output.secret("s3cr3t-value") for name in spec.secret_env},
            ),
        )

    return evaluate("test", {}, frozenset(), program)


def kinds(evaluation: Evaluation) -> dict[str, dict[str, Any]]:
    return {entry.inputs["kind"]: entry.inputs for entry in evaluation.registrations if entry.custom}


def test_stateless_service_gets_deployment_autoscaler_and_budget() -> None:
    evaluation = build(STATELESS)
    objects = kinds(evaluation)
    assert sorted(objects) == [
        "ConfigMap",
        "Deployment",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
        "Secret",
        "Service",
    ]
    hpa = objects["HorizontalPodAutoscaler"]["spec"]
    assert (hpa["minReplicas"], hpa["maxReplicas"]) == (2, 6)
    targets = {m["resource"]["name"]: m["resource"]["target"]["averageUtilization"] for m in hpa["metrics"]}
    assert targets == {"cpu": 70, "memory": 80}
    deployment = objects["Deployment"]["spec"]
    assert "replicas" not in deployment  # the autoscaler owns the count
    assert deployment["strategy"]["rollingUpdate"] == {"maxUnavailable": 0, "maxSurge": 1}
    assert objects["PodDisruptionBudget"]["spec"]["selector"] == deployment["selector"]


def test_children_are_parented_and_named_from_the_component() -> None:
    evaluation = build(STATELESS)
    component = evaluation.named("search", "mcp-suite:kubernetes:McpService")
    assert component.parent is None
    children = evaluation.children_of("search")
    assert {c.name for c in children} == {
        "search-env",
        "search-secret-env",
        "search-service",
        "search-workload",
        "search-autoscaler",
        "search-disruption-budget",
    }


def test_container_meets_restricted_pod_security_and_tier() -> None:
    pod = kinds(build(STATELESS))["Deployment"]["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert container["securityContext"] == {
        "allowPrivilegeEscalation": False,
        "privileged": False,
        "readOnlyRootFilesystem": True,
        "runAsNonRoot": True,
        "runAsUser": 10001,
        "runAsGroup": 10001,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    assert pod["automountServiceAccountToken"] is False
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert container["resources"] == {
        "requests": {"cpu": "500m", "memory": "512Mi"},
        "limits": {"cpu": "2000m", "memory": "1024Mi"},
    }
    assert container["imagePullPolicy"] == "Always"
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        assert container[probe]["httpGet"] == {"path": "/health", "port": "http"}
    assert {"name": "tmp", "mountPath": "/tmp"} in container["volumeMounts"]
    assert [p["containerPort"] for p in container["ports"]] == [8080]


def test_secret_env_goes_to_a_secret_and_stays_secret() -> None:
    evaluation = build(STATELESS)
    secret = kinds(evaluation)["Secret"]
    assert secret["stringData"] == REDACTED
    assert "s3cr3t-value" not in repr([entry.inputs for entry in evaluation.registrations])
    env_from = kinds(evaluation)["Deployment"]["spec"]["template"]["spec"]["containers"][0]["envFrom"]
    assert env_from == [{"configMapRef": {"name": "search-env"}}, {"secretRef": {"name": "search-secret-env"}}]


def test_config_change_rolls_the_pods() -> None:
    def checksum(spec: ServiceSpec) -> str:
        template = kinds(build(spec))["Deployment"]["spec"]["template"]
        return str(template["metadata"]["annotations"]["mcp-suite/config-checksum"])

    changed = STATELESS.model_copy(update={"env": {"LOG_FORMAT": "text"}})
    assert checksum(STATELESS) != checksum(changed)


def test_stateful_service_is_one_replica_statefulset_on_its_claims() -> None:
    objects = kinds(build(STATEFUL))
    assert sorted(objects) == ["ConfigMap", "Service", "StatefulSet"]
    spec = objects["StatefulSet"]["spec"]
    assert spec["replicas"] == 1
    pod = spec["template"]["spec"]
    claims = {v["name"]: v["persistentVolumeClaim"] for v in pod["volumes"] if "persistentVolumeClaim" in v}
    assert claims == {
        "memory-graph": {"claimName": "mcp-test-memory-graph", "readOnly": False},
        "snapshots": {"claimName": "mcp-test-snapshots", "readOnly": True},
    }
    mounts = {m["name"]: (m["mountPath"], m.get("readOnly")) for m in pod["containers"][0]["volumeMounts"]}
    assert mounts["snapshots"] == ("/data/snapshots", True)


def test_stdio_server_runs_behind_the_bridge_from_the_built_digest() -> None:
    container = kinds(build(STATEFUL))["StatefulSet"]["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == BUILT_DIGEST
    args = container["args"]
    assert args[:3] == ["/app/bridge/src/bridge.js", "--stdio", "@modelcontextprotocol/server-memory@2026.8.31"]
    assert args[args.index("--health-path") + 1] == "/healthz"
    assert args[args.index("--sessions") + 1] == "stateful"  # ids issued, all relayed to one server process
    assert "--serialize" in args
    # Metrics where the spec says Prometheus scrapes them; the gateway routes only the MCP path, so they are private.
    assert args[args.index("--metrics-path") + 1] == "/metrics"
    # The names clients reach it by: in the cluster and through the gateway, which passes its host on; no other.
    assert args[args.index("--allowed-hosts") + 1].split(",") == [
        "mcp.example.com",
        "memory",
        "memory.mcp-test",
        "memory.mcp-test.svc",
        "memory.mcp-test.svc.cluster.local",
    ]


@pytest.mark.parametrize("spec", [STATELESS, STATEFUL], ids=["stateless", "stateful"])
def test_every_object_lands_in_the_namespace_with_suite_labels(spec: ServiceSpec) -> None:
    for entry in build(spec).registrations:
        if entry.custom:
            assert entry.inputs["metadata"]["namespace"] == "mcp-test"
            assert entry.inputs["metadata"]["labels"]["app.kubernetes.io/part-of"] == "mcp-suite"


def test_a_stateless_bridge_issues_no_sessions_so_its_replicas_are_interchangeable() -> None:
    stateless = STATEFUL.model_copy(
        update={"stateful": False, "volumes": [], "sessions": "stateless", "replicas": Replicas(min=2, max=5)}
    )
    deployment = kinds(build(stateless))["Deployment"]["spec"]["template"]["spec"]["containers"][0]
    assert "--stateful" not in deployment["args"]
