"""Rules across resources: in production every stateless MCP service (a Deployment) is autoscaled and budgeted."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .kubernetes import kind
from .props import Resource, mapping, path
from .rules import RuleContext

Finding = tuple[str, str]
"""(message, URN of the resource at fault)."""
MIN_PRODUCTION_REPLICAS = 2
# The rule is about the suite's MCP services, which the renderer labels so. Monitoring's own single-replica
# Deployments (blackbox-exporter, an in-memory Jaeger whose traces a second replica would split) are not services.
MCP_SERVICE_LABEL = ("app.kubernetes.io/component", "mcp-server")


def _same_namespace(left: Resource, right: Resource) -> bool:
    mine, theirs = path(left.props, "metadata", "namespace"), path(right.props, "metadata", "namespace")
    return mine is None or theirs is None or mine == theirs


def _selects(selector: Mapping[str, Any], labels: Mapping[str, Any]) -> bool:
    wanted = mapping(selector.get("matchLabels"))
    return bool(wanted) and all(labels.get(key) == value for key, value in wanted.items())


def stateless_services_autoscaled_and_budgeted(resources: list[Resource], context: RuleContext) -> list[Finding]:
    if not context.production:
        return []
    of_kind = {
        name: [r for r in resources if kind(r) == name] for name in ("HorizontalPodAutoscaler", "PodDisruptionBudget")
    }
    findings: list[Finding] = []
    for deployment in (r for r in resources if kind(r) == "Deployment"):
        name = path(deployment.props, "metadata", "name")
        labels = mapping(path(deployment.props, "spec", "template", "metadata", "labels"))
        if labels.get(MCP_SERVICE_LABEL[0]) != MCP_SERVICE_LABEL[1]:
            continue
        scalers = [
            scaler
            for scaler in of_kind["HorizontalPodAutoscaler"]
            if _same_namespace(scaler, deployment)
            and path(scaler.props, "spec", "scaleTargetRef", "kind") == "Deployment"
            and path(scaler.props, "spec", "scaleTargetRef", "name") == name
        ]
        if not scalers:
            findings.append((f"Deployment '{name}' has no HorizontalPodAutoscaler; add one", deployment.urn))
        for scaler in scalers:
            floor = path(scaler.props, "spec", "minReplicas")
            if not isinstance(floor, (int, float)) or floor < MIN_PRODUCTION_REPLICAS:
                findings.append(
                    (
                        f"autoscaler of Deployment '{name}' allows {floor or 1} replica; a disruption budget cannot "
                        f"keep one replica serving through a drain: set minReplicas >= {MIN_PRODUCTION_REPLICAS}",
                        scaler.urn,
                    )
                )
        budgets = [
            budget
            for budget in of_kind["PodDisruptionBudget"]
            if _same_namespace(budget, deployment) and _selects(mapping(path(budget.props, "spec", "selector")), labels)
        ]
        if not budgets:
            findings.append(
                (f"Deployment '{name}' has no PodDisruptionBudget selecting its pods; add one", deployment.urn)
            )
    return findings
