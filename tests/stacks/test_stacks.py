"""The whole program per stack, as preview and as update: what each target registers and exports."""

from __future__ import annotations

from collections import Counter

import pytest

from tests.conftest import KUBERNETES_STACKS, STACKS, evaluate_stack

CATALOG = {"everything", "filesystem", "memory", "sequential-thinking"}
STATEFUL = {"filesystem", "memory"}


@pytest.mark.parametrize("preview", [True, False], ids=["preview", "update"])
@pytest.mark.parametrize("stack", STACKS)
def test_stack_evaluates_in_preview_and_update(stack: str, preview: bool) -> None:
    evaluation = evaluate_stack(stack, preview=preview)
    components = {e.name for e in evaluation.registrations if e.type.endswith(":McpService")}
    assert components == CATALOG
    providers = [e.type for e in evaluation.registrations if e.type.startswith("pulumi:providers:")]
    expected = {
        "dev": ["pulumi:providers:docker"],
        "staging": ["pulumi:providers:kubernetes", "pulumi:providers:cloudflare"],
        "prod": ["pulumi:providers:kubernetes", "pulumi:providers:cloudflare"],
    }
    assert providers == expected[stack]


def test_dev_is_local_docker_only() -> None:
    evaluation = evaluate_stack("dev")
    counts = Counter(e.type for e in evaluation.registrations)
    assert counts["docker:index/container:Container"] == len(CATALOG)
    assert counts["docker:index/remoteImage:RemoteImage"] == len(CATALOG)
    assert not any(t.startswith("kubernetes:") for t in counts)
    internal = evaluation.named("internal-network").inputs
    assert internal["internal"] is True
    ports = sorted(
        (p["ip"], p["external"])
        for e in evaluation.of_type("docker:index/container:Container")
        for p in e.inputs["ports"]
    )
    assert ports == [("127.0.0.1", 18000), ("127.0.0.1", 18001), ("127.0.0.1", 18002), ("127.0.0.1", 18003)]


@pytest.mark.parametrize("stack", KUBERNETES_STACKS)
def test_kubernetes_namespace_enforces_restricted_pod_security(stack: str) -> None:
    namespace = evaluate_stack(stack).named("namespace").inputs
    assert namespace["metadata"]["name"] == f"mcp-{stack}"
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"


@pytest.mark.parametrize("stack", KUBERNETES_STACKS)
def test_stateful_services_are_statefulsets_and_stateless_are_autoscaled(stack: str) -> None:
    evaluation = evaluate_stack(stack)
    stateful_sets = {e.inputs["metadata"]["name"] for e in evaluation.of_type("kubernetes:apps/v1:StatefulSet")}
    deployments = {e.inputs["metadata"]["name"] for e in evaluation.of_type("kubernetes:apps/v1:Deployment")}
    autoscaled = {
        e.inputs["spec"]["scaleTargetRef"]["name"]
        for e in evaluation.of_type("kubernetes:autoscaling/v2:HorizontalPodAutoscaler")
    }
    budgets = {e.inputs["metadata"]["name"] for e in evaluation.of_type("kubernetes:policy/v1:PodDisruptionBudget")}
    assert stateful_sets == STATEFUL
    assert deployments == autoscaled == budgets == CATALOG - STATEFUL


def test_prod_runs_more_replicas_than_staging() -> None:
    def floors(stack: str) -> dict[str, int]:
        return {
            e.inputs["spec"]["scaleTargetRef"]["name"]: e.inputs["spec"]["minReplicas"]
            for e in evaluate_stack(stack).of_type("kubernetes:autoscaling/v2:HorizontalPodAutoscaler")
        }

    staging, prod = floors("staging"), floors("prod")
    assert all(prod[name] > staging[name] >= 2 for name in staging)


@pytest.mark.parametrize("stack", STACKS)
def test_stateful_storage_is_protected_and_retained_only_in_prod(stack: str) -> None:
    evaluation = evaluate_stack(stack)
    storage_types = ("kubernetes:core/v1:PersistentVolumeClaim", "docker:index/volume:Volume")
    volumes = [e for e in evaluation.registrations if e.type in storage_types]
    assert {e.name for e in volumes} == {"storage-memory-graph", "storage-filesystem"}
    for volume in volumes:
        assert volume.parent == "storage"
        expected = stack == "prod"
        assert (volume.options["protect"], volume.options["retainOnDelete"]) == (expected, expected)


@pytest.mark.parametrize("stack", KUBERNETES_STACKS)
def test_workloads_wait_for_their_claims(stack: str) -> None:
    evaluation = evaluate_stack(stack)
    memory = evaluation.named("memory-workload")
    assert "storage-memory-graph" in memory.options["dependsOn"]
