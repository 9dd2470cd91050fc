"""The cross-resource rule: in production every MCP service's Deployment is autoscaled (two replicas or more) and
budgeted."""

from __future__ import annotations

from typing import Any

from policy.mcp_policies import STACK_RULES, Resource, RuleContext
from tests.policy.resources import DEPLOYMENT, PROD, STAGING, deployment

HPA = "kubernetes:autoscaling/v2:HorizontalPodAutoscaler"
PDB = "kubernetes:policy/v1:PodDisruptionBudget"


def autoscaler(target: str, floor: int = 3, namespace: str = "mcp") -> dict[str, Any]:
    return {
        "metadata": {"name": target, "namespace": namespace},
        "spec": {"scaleTargetRef": {"kind": "Deployment", "name": target}, "minReplicas": floor, "maxReplicas": 6},
    }


def budget(target: str, namespace: str = "mcp") -> dict[str, Any]:
    return {
        "metadata": {"name": target, "namespace": namespace},
        "spec": {"maxUnavailable": 1, "selector": {"matchLabels": {"app.kubernetes.io/name": target}}},
    }


def findings(resources: list[tuple[str, dict[str, Any]]], context: RuleContext = PROD) -> list[str]:
    rule = next(rule for rule in STACK_RULES if rule.name == "stateless-services-autoscaled-and-budgeted")
    stack = [
        Resource(type=kind, name=f"r{i}", props=props, urn=f"urn:{i}") for i, (kind, props) in enumerate(resources)
    ]
    return [f"{urn}: {message}" for message, urn in rule.check(stack, context)]


def test_an_autoscaled_and_budgeted_deployment_passes() -> None:
    assert findings([(DEPLOYMENT, deployment()), (HPA, autoscaler("web")), (PDB, budget("web"))]) == []


def test_a_bare_deployment_fails_in_prod_only() -> None:
    assert findings([(DEPLOYMENT, deployment())], STAGING) == []
    assert findings([(DEPLOYMENT, deployment())]) == [
        "urn:0: Deployment 'web' has no HorizontalPodAutoscaler; add one",
        "urn:0: Deployment 'web' has no PodDisruptionBudget selecting its pods; add one",
    ]


def test_objects_for_another_deployment_or_namespace_do_not_count() -> None:
    assert len(findings([(DEPLOYMENT, deployment()), (HPA, autoscaler("api")), (PDB, budget("api"))])) == 2
    elsewhere = [(DEPLOYMENT, deployment()), (HPA, autoscaler("web", namespace="x")), (PDB, budget("web", "x"))]
    assert len(findings(elsewhere)) == 2


def test_a_one_replica_floor_is_not_enough_for_a_budget() -> None:
    found = findings([(DEPLOYMENT, deployment()), (HPA, autoscaler("web", floor=1)), (PDB, budget("web"))])
    assert found == [
        "urn:1: autoscaler of Deployment 'web' allows 1 replica; a disruption budget cannot keep one replica serving "
        "through a drain: set minReplicas >= 2"
    ]


def test_a_deployment_that_is_not_an_mcp_service_is_not_judged() -> None:
    # Monitoring's single-replica Deployments (blackbox-exporter, an in-memory Jaeger) are not MCP services.
    assert findings([(DEPLOYMENT, deployment("jaeger", component="tracing"))]) == []
    assert len(findings([(DEPLOYMENT, deployment("jaeger", component="tracing")), (DEPLOYMENT, deployment())])) == 2
