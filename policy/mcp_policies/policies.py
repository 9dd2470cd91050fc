"""The policies of the pack: each rule named, described and wired to the Pulumi policy SDK.

Building `Policy` objects is cheap and has no side effect; only `PolicyPack` (in __main__.py) starts a server.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pulumi_policy import (
    Policy,
    PolicyConfigSchema,
    PolicyResourceOptions,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from . import docker, kubernetes, platform, stack
from .context import DEFAULT_PRODUCTION_STACKS, StackFacts
from .props import Resource
from .rules import ResourceCheck, RuleContext

PACK_NAME = "mcp-suite-standards"
PRODUCTION_CONFIG: dict[str, dict[str, Any]] = {
    "productionStacks": {
        "type": "array",
        "items": {"type": "string"},
        "default": list(DEFAULT_PRODUCTION_STACKS),
        "description": "Stacks held to the production rules.",
    }
}
DIGEST_CONFIG: dict[str, dict[str, Any]] = {
    "requireImageDigests": {
        "type": "boolean",
        "default": False,
        "description": "Require digests on every stack, whatever the stack's own requireImageDigests says.",
    }
}


@dataclass(frozen=True)
class ResourceRule:
    name: str
    description: str
    checks: tuple[ResourceCheck, ...]
    config: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class StackRule:
    name: str
    description: str
    check: Callable[[list[Resource], RuleContext], list[stack.Finding]]
    config: dict[str, dict[str, Any]] = field(default_factory=dict)


RESOURCE_RULES: tuple[ResourceRule, ...] = (
    ResourceRule(
        "images-pinned",
        "Images are pinned by a version tag or a digest, never `latest` or untagged; by digest where required.",
        (kubernetes.images_pinned, docker.images_pinned),
        DIGEST_CONFIG,
    ),
    ResourceRule("charts-pinned", "Helm charts are pinned to an exact version.", (platform.charts_pinned,)),
    ResourceRule("non-root", "Containers run as a non-root user.", (kubernetes.non_root, docker.non_root)),
    ResourceRule(
        "read-only-root-filesystem",
        "Containers have a read-only root filesystem.",
        (kubernetes.read_only_root_filesystem, docker.read_only_root_filesystem),
    ),
    ResourceRule(
        "capabilities-dropped",
        "Containers drop all capabilities (only NET_BIND_SERVICE may be added back).",
        (kubernetes.capabilities_dropped, docker.capabilities_dropped),
    ),
    ResourceRule(
        "no-privilege-escalation",
        "Containers cannot gain privileges and are not privileged.",
        (kubernetes.no_privilege_escalation, docker.no_privilege_escalation),
    ),
    ResourceRule(
        "seccomp-runtime-default",
        "Containers run under the runtime's default seccomp profile.",
        (kubernetes.seccomp_runtime_default, docker.seccomp_runtime_default),
    ),
    ResourceRule(
        "resources-bounded",
        "Containers declare CPU and memory requests and limits.",
        (kubernetes.resources_bounded, docker.resources_bounded),
    ),
    ResourceRule(
        "probes-present",
        "Long-running containers have liveness and readiness probes (Docker: a health check).",
        (kubernetes.probes_present, docker.probes_present),
    ),
    ResourceRule(
        "no-host-access",
        "No host network, PID or IPC namespace, no hostPath, no host ports (Docker: loopback-only publishing).",
        (kubernetes.no_host_access, docker.no_host_access),
    ),
    ResourceRule(
        "no-plaintext-secret-env",
        "Secret values reach containers from Secrets, never as plain-text env or ConfigMap data.",
        (kubernetes.no_plaintext_secret_env, docker.no_plaintext_secret_env),
    ),
    ResourceRule(
        "stateful-storage-protected",
        "In production, stateful storage is protected from deletion and never deleted with its workload.",
        (platform.stateful_storage_protected,),
        PRODUCTION_CONFIG,
    ),
    ResourceRule(
        "dns-records-proxied",
        "Cloudflare A, AAAA and CNAME records are proxied, so origins stay hidden.",
        (platform.dns_records_proxied,),
    ),
)

STACK_RULES: tuple[StackRule, ...] = (
    StackRule(
        "stateless-services-autoscaled-and-budgeted",
        "In production, every Deployment has an autoscaler with at least two replicas and a disruption budget.",
        stack.stateless_services_autoscaled_and_budgeted,
        PRODUCTION_CONFIG,
    ),
    StackRule(
        "origin-locked-behind-edge",
        "With an edge worker, no Ingress, public Service or unlocked Gateway answers without it.",
        stack.origin_locked_behind_edge,
    ),
)


def rule_context(facts: StackFacts, policy_config: Mapping[str, Any]) -> RuleContext:
    return RuleContext(
        production=facts.is_production(policy_config), digests_required=facts.digests_required(policy_config)
    )


def resource_violations(rule: ResourceRule, resource: Resource, context: RuleContext) -> list[str]:
    return [message for check in rule.checks for message in check(resource, context)]


def _resource(
    resource_type: str, name: str, props: Mapping[str, Any], opts: PolicyResourceOptions, urn: str
) -> Resource:
    return Resource(
        type=resource_type,
        name=name,
        props=props,
        protect=bool(opts.protect),
        additional_secret_outputs=tuple(opts.additional_secret_outputs or ()),
        urn=urn,
    )


def _resource_validator(
    rule: ResourceRule, facts: StackFacts
) -> Callable[[ResourceValidationArgs, ReportViolation], None]:
    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        resource = _resource(args.resource_type, args.name, args.props, args.opts, args.urn)
        for message in resource_violations(rule, resource, rule_context(facts, args.get_config())):
            report_violation(message, None)

    return validate


def _stack_validator(rule: StackRule, facts: StackFacts) -> Callable[[StackValidationArgs, ReportViolation], None]:
    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        resources = [
            _resource(entry.resource_type, entry.name, entry.props, entry.opts, entry.urn) for entry in args.resources
        ]
        for message, urn in rule.check(resources, rule_context(facts, args.get_config())):
            report_violation(message, urn or None)

    return validate


def _schema(config: dict[str, dict[str, Any]]) -> PolicyConfigSchema | None:
    return PolicyConfigSchema(properties=config) if config else None


def build_policies(facts: StackFacts) -> list[Policy]:
    """Every policy of the pack, judging the stack described by `facts`."""
    policies: list[Policy] = [
        ResourceValidationPolicy(
            name=rule.name,
            description=rule.description,
            validate=_resource_validator(rule, facts),
            config_schema=_schema(rule.config),
        )
        for rule in RESOURCE_RULES
    ]
    policies += [
        StackValidationPolicy(
            name=rule.name,
            description=rule.description,
            validate=_stack_validator(rule, facts),
            config_schema=_schema(rule.config),
        )
        for rule in STACK_RULES
    ]
    return policies
