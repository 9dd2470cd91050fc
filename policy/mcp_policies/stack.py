"""Rules across resources: in production every stateless MCP service (a Deployment) is autoscaled and budgeted;
behind an edge, the origin answers only the edge."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .kubernetes import kind
from .props import Resource, items, mapping, path
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


WORKERS_SCRIPT = "cloudflare:index/workersScript:WorkersScript"
ORIGIN_BINDING = "ORIGIN"
PUBLIC_SERVICE_TYPES = ("LoadBalancer", "NodePort")


def _gateway_locked(gateway: Resource, resources: list[Resource]) -> bool:
    """Its proxies have no public Service (Envoy Gateway's EnvoyProxy), or every client needs a certificate."""
    reference = mapping(path(gateway.props, "spec", "infrastructure", "parametersRef"))
    for proxy in (r for r in resources if kind(r) == "EnvoyProxy" and _same_namespace(r, gateway)):
        service = mapping(path(proxy.props, "spec", "provider", "kubernetes", "envoyService"))
        if path(proxy.props, "metadata", "name") == reference.get("name") and service.get("type") == "ClusterIP":
            return True
    name = path(gateway.props, "metadata", "name")
    for policy in (r for r in resources if kind(r) == "ClientTrafficPolicy" and _same_namespace(r, gateway)):
        targets = [mapping(t) for t in items(path(policy.props, "spec", "targetRefs"))]
        validation = mapping(path(policy.props, "spec", "tls", "clientValidation"))
        required = validation.get("mode", "RequireAndVerify") == "RequireAndVerify" and not validation.get("optional")
        if any(t.get("kind") == "Gateway" and t.get("name") == name for t in targets) and required and validation:
            return True
    return False


def origin_locked_behind_edge(resources: list[Resource], context: RuleContext) -> list[Finding]:
    """With an edge worker, nothing in the cluster answers the public except through it."""
    workers = [r for r in resources if r.type == WORKERS_SCRIPT]
    if not workers:
        return []
    findings: list[Finding] = []
    for worker in workers:
        bindings = [mapping(b) for b in items(path(worker.props, "bindings"))]
        if not any(b.get("name") == ORIGIN_BINDING for b in bindings):
            findings.append(
                (
                    "the edge worker has no ORIGIN binding (tunnel or mTLS certificate): the origin it forwards to "
                    "cannot tell its requests from anyone's; set network.originLock",
                    worker.urn,
                )
            )
    for resource in resources:
        name = path(resource.props, "metadata", "name")
        if kind(resource) == "Ingress":
            findings.append(
                (f"Ingress '{name}' is a public route around the edge; route through the Gateway", resource.urn)
            )
        service_type = path(resource.props, "spec", "type")
        if kind(resource) == "Service" and service_type in PUBLIC_SERVICE_TYPES:
            findings.append((f"Service '{name}' is a {service_type}: reachable without the edge", resource.urn))
        if kind(resource) == "Gateway" and not _gateway_locked(resource, resources):
            findings.append(
                (
                    f"Gateway '{name}' has a public listener that does not require the edge's client certificate; "
                    "use originLock tunnel (ClusterIP proxies) or mtls (clientValidation)",
                    resource.urn,
                )
            )
    return findings
