"""Pure renderer of a service's Koyeb deployment definition: a function of a ServiceSpec and the stack's choices.

It returns the provider's own input classes (not its TypedDicts, which this provider types as `Mapping[str, Any]`
for type checkers), so strict mypy checks every field name and type against pulumi-koyeb's signatures.
Only the Koyeb target imports this module.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pulumi
import pulumi_koyeb as koyeb

from components.render.bridge import container_args
from components.render.koyeb_platform import (
    AUTOASSIGNED_DOMAIN_SUFFIX,
    CPU_TARGET_PERCENT,
    KoyebInstanceType,
    KoyebRegion,
    route_path,
)
from components.spec import ServiceSpec

# Koyeb's documented bounds: grace period 5-300 s, interval 30-300 s. The bridge answers its health endpoint
# within seconds of starting; a restart after three failed checks mirrors the Kubernetes liveness probe.
HEALTH_GRACE_PERIOD_S = 30
HEALTH_INTERVAL_S = 30
HEALTH_TIMEOUT_S = 5
HEALTH_RESTART_LIMIT = 3


def plain_env(spec: ServiceSpec) -> dict[str, str]:
    """Plain environment: the spec's env, and PORT, which Koyeb's convention expects."""
    return {**spec.env, "PORT": str(spec.port)}


def envs(spec: ServiceSpec, secret_refs: Mapping[str, pulumi.Input[str]]) -> list[koyeb.ServiceDefinitionEnvArgs]:
    """Plain values inline; secret values only by the name of the Koyeb secret holding them (`secret_refs`)."""
    plain = [koyeb.ServiceDefinitionEnvArgs(key=key, value=value) for key, value in sorted(plain_env(spec).items())]
    secret = [koyeb.ServiceDefinitionEnvArgs(key=key, secret=secret_refs[key]) for key in sorted(spec.secret_env)]
    return plain + secret


def health_check(spec: ServiceSpec) -> koyeb.ServiceDefinitionHealthCheckArgs:
    return koyeb.ServiceDefinitionHealthCheckArgs(
        http=koyeb.ServiceDefinitionHealthCheckHttpArgs(path=spec.health_path, port=spec.port, method="GET"),
        grace_period=HEALTH_GRACE_PERIOD_S,
        interval=HEALTH_INTERVAL_S,
        timeout=HEALTH_TIMEOUT_S,
        restart_limit=HEALTH_RESTART_LIMIT,
    )


def scaling(spec: ServiceSpec, p95_latency_target_ms: int | None) -> koyeb.ServiceDefinitionScalingArgs:
    """Instance bounds from the spec; autoscaling targets only when there is room to scale (max above min)."""
    if spec.replicas.max == spec.replicas.min:
        return koyeb.ServiceDefinitionScalingArgs(min=spec.replicas.min, max=spec.replicas.max)
    # Koyeb's targets are one metric each; the autoscaler adds instances when any of them is exceeded.
    targets = [
        koyeb.ServiceDefinitionScalingTargetArgs(
            average_cpus=[koyeb.ServiceDefinitionScalingTargetAverageCpusArgs(value=CPU_TARGET_PERCENT)]
        )
    ]
    if p95_latency_target_ms is not None:
        targets.append(
            koyeb.ServiceDefinitionScalingTargetArgs(
                request_response_times=[
                    koyeb.ServiceDefinitionScalingTargetRequestResponseTimeArgs(value=p95_latency_target_ms)
                ]
            )
        )
    return koyeb.ServiceDefinitionScalingArgs(min=spec.replicas.min, max=spec.replicas.max, targets=targets)


def service_definition(
    spec: ServiceSpec,
    *,
    image: pulumi.Input[str],
    public_host: pulumi.Input[str],
    regions: Sequence[KoyebRegion],
    instance_type: KoyebInstanceType,
    p95_latency_target_ms: int | None,
    secret_refs: Mapping[str, pulumi.Input[str]],
) -> koyeb.ServiceDefinitionArgs:
    """The whole Koyeb Service definition: public web service on `/<name>/`, HTTP health check, autoscaling."""
    return koyeb.ServiceDefinitionArgs(
        name=spec.name,
        type="WEB",
        docker=koyeb.ServiceDefinitionDockerArgs(image=image, args=docker_args(spec, public_host)),
        ports=[koyeb.ServiceDefinitionPortArgs(port=spec.port, protocol="http")],
        routes=[koyeb.ServiceDefinitionRouteArgs(path=route_path(spec), port=spec.port)],
        envs=envs(spec, secret_refs),
        health_checks=[health_check(spec)],
        instance_types=[koyeb.ServiceDefinitionInstanceTypeArgs(type=instance_type)],
        regions=list(regions),
        scalings=[scaling(spec, p95_latency_target_ms)],
    )


def docker_args(spec: ServiceSpec, public_host: pulumi.Input[str]) -> pulumi.Input[Sequence[str]] | None:
    """The image's arguments. Koyeb's proxy passes on the App's host name in `Host`, so a bridge is told to answer
    MCP requests for it (the name is known once the App exists); and, as Koyeb routes every path under the service's
    prefix publicly, to serve no metrics endpoint."""
    if spec.bridge is None:
        return container_args(spec, [])
    return pulumi.Output.from_input(public_host).apply(
        lambda host: container_args(spec, [host], serve_metrics=False) or []
    )


def public_host(domains: Sequence[koyeb.outputs.AppDomain]) -> str:
    """The App's host name on koyeb.app (`<app>-<org>[-<hash>].koyeb.app`), which Koyeb assigns at creation."""
    for domain in domains:
        if domain.name.endswith(AUTOASSIGNED_DOMAIN_SUFFIX):
            return domain.name
    names = ", ".join(domain.name for domain in domains) or "none"
    raise ValueError(f"the Koyeb App has no {AUTOASSIGNED_DOMAIN_SUFFIX} domain (domains: {names})")


def endpoint(host: str, spec: ServiceSpec) -> str:
    """Public URL of the service's MCP endpoint: the route prefix, which Koyeb strips, then the server's path."""
    return f"https://{host}{route_path(spec)}{spec.mcp_path.removeprefix('/')}"
