"""Facts about Koyeb the program relies on, and the pure choices derived from them; no provider SDK inside.

Settings validate against these tables and the Koyeb renderer reads them, so each fact is written once.
Sources: koyeb.com/docs/reference/regions (core regions), koyeb.com/docs/reference/instances (instance types),
koyeb.com/docs/run-and-scale/health-checks and /autoscaling (limits and units), the provider's schema
(terraform-provider-koyeb: app names 3-23 characters, secret names 2-64 characters).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Literal, get_args

from components.spec import Resources, ServiceSpec

KoyebRegion = Literal["fra", "was", "sin", "tyo", "par", "aws-us-east-1"]
"""Koyeb's documented core regions (preview regions need a paid plan and are left out)."""
REGIONS: tuple[KoyebRegion, ...] = get_args(KoyebRegion)

KoyebInstanceType = Literal[
    "nano",
    "micro",
    "small",
    "medium",
    "large",
    "xlarge",
    "2xlarge",
    "3xlarge",
    "4xlarge",
    "5xlarge",
    "free",
    "eco-nano",
    "eco-micro",
    "eco-small",
    "eco-medium",
    "eco-large",
    "eco-xlarge",
    "eco-2xlarge",
]
"""Standard and Eco instance types; Eco types exist only in was, fra and sin."""


@dataclass(frozen=True)
class InstanceSize:
    name: KoyebInstanceType
    vcpu: float
    memory_mib: int


STANDARD_INSTANCE_SIZES: tuple[InstanceSize, ...] = (
    InstanceSize("nano", 0.25, 256),
    InstanceSize("micro", 0.5, 512),
    InstanceSize("small", 1, 1024),
    InstanceSize("medium", 2, 2048),
    InstanceSize("large", 4, 4096),
    InstanceSize("xlarge", 8, 8192),
    InstanceSize("2xlarge", 16, 16384),
    InstanceSize("3xlarge", 24, 32768),
    InstanceSize("4xlarge", 32, 65536),
    InstanceSize("5xlarge", 40, 131072),
)

APP_NAME_PATTERN = r"^[a-z0-9]([a-z0-9-]{1,21}[a-z0-9])$"
"""A DNS label of 3-23 characters: Koyeb's app name length, and the start of the app's public host name."""
SECRET_NAME_MAX = 64
AUTOASSIGNED_DOMAIN_SUFFIX = ".koyeb.app"

CPU_TARGET_PERCENT = 70
"""Average CPU target of the autoscaler, as on Kubernetes."""
DEFAULT_P95_LATENCY_MS = 500
"""p95 response time target: the design documents' latency objective for MCP services (< 500 ms)."""


def default_instance_type(resources: Resources) -> KoyebInstanceType:
    """The smallest Standard instance whose vCPU and memory cover the tier's limits, as Kubernetes allows."""
    for size in STANDARD_INSTANCE_SIZES:
        if size.vcpu >= resources.cpu_limit and size.memory_mib >= resources.memory_limit_mib:
            return size.name
    raise ValueError(f"no Koyeb instance type covers {resources.cpu_limit} vCPU and {resources.memory_limit_mib} MiB")


def route_path(spec: ServiceSpec) -> str:
    """Public path prefix of the service in the app; Koyeb strips it before the request reaches the container."""
    return f"/{spec.name}/"


def secret_name(app_name: str, service: str, env_name: str) -> str:
    """Organisation-wide Koyeb secret name for one secret env value: readable, deterministic, at most 64 characters.

    The hash keeps names distinct when truncation or case folding would make two of them equal.
    """
    digest = hashlib.sha256(f"{app_name}/{service}/{env_name}".encode()).hexdigest()[:8]
    readable = f"{app_name}-{service}-{env_name.lower().replace('_', '-')}"[: SECRET_NAME_MAX - len(digest) - 1]
    return f"{readable.rstrip('-')}-{digest}"
