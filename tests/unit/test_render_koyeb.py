"""Koyeb choices as plain functions: tier -> instance type, secret names, routes, the App's public host."""

from __future__ import annotations

import pulumi_koyeb as koyeb
import pytest

from components.render.koyeb import endpoint, public_host
from components.render.koyeb_platform import (
    SECRET_NAME_MAX,
    STANDARD_INSTANCE_SIZES,
    default_instance_type,
    route_path,
    secret_name,
)
from components.spec import TIER_RESOURCES, ServiceSpec, Tier


@pytest.mark.parametrize(("tier", "instance_type"), [("small", "small"), ("medium", "medium"), ("large", "large")])
def test_documented_tier_mapping(tier: Tier, instance_type: str) -> None:
    assert default_instance_type(TIER_RESOURCES[tier]) == instance_type


@pytest.mark.parametrize("tier", ["small", "medium", "large"])
def test_each_tier_gets_the_smallest_instance_covering_its_limits(tier: Tier) -> None:
    resources = TIER_RESOURCES[tier]
    chosen = next(size for size in STANDARD_INSTANCE_SIZES if size.name == default_instance_type(resources))
    assert chosen.vcpu >= resources.cpu_limit and chosen.memory_mib >= resources.memory_limit_mib
    smaller = STANDARD_INSTANCE_SIZES[: STANDARD_INSTANCE_SIZES.index(chosen)]
    assert all(s.vcpu < resources.cpu_limit or s.memory_mib < resources.memory_limit_mib for s in smaller)


def test_secret_names_are_readable_deterministic_bounded_and_distinct() -> None:
    name = secret_name("mcp-suite", "everything", "API_TOKEN")
    assert name.startswith("mcp-suite-everything-api-token-")
    assert name == secret_name("mcp-suite", "everything", "API_TOKEN")
    # Case folding and truncation would merge these; the hash keeps them apart.
    assert secret_name("mcp-suite", "everything", "api_token") != name
    long_env = "A_VERY_LONG_ENVIRONMENT_VARIABLE_NAME_THAT_GOES_ON"
    long_names = {secret_name("a-twenty-three-chars-ab", "s" * 32, long_env + suffix) for suffix in ("_1", "_2")}
    assert len(long_names) == 2
    assert all(2 <= len(n) <= SECRET_NAME_MAX for n in long_names | {name})


def test_route_and_endpoint() -> None:
    spec = ServiceSpec.model_validate(
        {"name": "everything", "image": "ghcr.io/x/y:1.0", "transport": "streamable-http", "port": 3001}
    )
    assert route_path(spec) == "/everything/"
    assert endpoint("app-org.koyeb.app", spec) == "https://app-org.koyeb.app/everything/mcp"


def test_public_host_is_the_koyeb_app_domain_not_a_custom_one() -> None:
    domains = [
        koyeb.outputs.AppDomain(name="mcp.example.com", type="CUSTOM"),
        koyeb.outputs.AppDomain(name="mcp-suite-acme-1a2b.koyeb.app", type="AUTOASSIGNED"),
    ]
    assert public_host(domains) == "mcp-suite-acme-1a2b.koyeb.app"
    with pytest.raises(ValueError, match=r"no \.koyeb\.app domain \(domains: mcp\.example\.com\)"):
        public_host(domains[:1])
