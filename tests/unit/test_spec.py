"""ServiceSpec rules that every target relies on."""

from __future__ import annotations

import pytest

from components.spec import TIER_RESOURCES, EgressRule, ServiceSpec, validate_image_reference

DIGEST = "sha256:" + "a" * 64


@pytest.mark.parametrize(
    "image",
    [
        "docker.io/supercorp/supergateway:3.4.3",
        "ghcr.io/org/server:v1.2.0",
        "localhost:5000/team/server:2026.1",
        f"ghcr.io/org/server@{DIGEST}",
        f"ghcr.io/org/server:v1@{DIGEST}",
    ],
)
def test_pinned_images_are_accepted(image: str) -> None:
    assert validate_image_reference(image) == image


@pytest.mark.parametrize(
    ("image", "reason"),
    [
        ("docker.io/mcp/memory:latest", "moving tag 'latest'"),
        ("docker.io/mcp/memory", "is not pinned"),
        ("localhost:5000/team/server", "is not pinned"),
        ("ghcr.io/org/server@sha256:abc", "malformed digest"),
        ("Upper/Case:1", "not a valid image reference"),
        ("a:b:c", "not a valid image reference"),
    ],
)
def test_unpinned_or_malformed_images_are_rejected(image: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        validate_image_reference(image)


def test_tiers_match_the_design_documents() -> None:
    table = {
        tier: (r.cpu_request_k8s, r.cpu_limit_k8s, r.memory_request_k8s, r.memory_limit_k8s)
        for tier, r in TIER_RESOURCES.items()
    }
    assert table == {
        "small": ("200m", "1000m", "256Mi", "512Mi"),
        "medium": ("500m", "2000m", "512Mi", "1024Mi"),
        "large": ("1000m", "4000m", "1024Mi", "2048Mi"),
    }


@pytest.mark.parametrize(
    "rule",
    [
        {"host": "api.example.com", "ports": [443]},
        {"cidr": "10.0.0.0/8", "ports": [5432, 5433]},
        {"cidr": "2001:db8::/32", "ports": [443]},
        {"cidr": "198.51.100.7/32", "ports": [53], "protocol": "UDP"},
    ],
)
def test_egress_rules_accept_a_host_or_a_network(rule: dict[str, object]) -> None:
    parsed = EgressRule.model_validate(rule)
    assert parsed.destination == rule.get("host", rule.get("cidr"))


@pytest.mark.parametrize(
    ("rule", "reason"),
    [
        ({"ports": [443]}, "exactly one of `host` or `cidr`"),
        ({"host": "Api.Example.com", "ports": [443]}, "not a host name"),
        ({"host": "https://api.example.com", "ports": [443]}, "not a host name"),
        ({"cidr": "10.0.0.1/8", "ports": [443]}, "write 10.0.0.0/8"),
        ({"cidr": "api.example.com", "ports": [443]}, "not a CIDR network"),
        ({"host": "api.example.com", "ports": [443, 443]}, "repeat a port"),
        ({"host": "api.example.com", "ports": [443], "protocol": "ICMP"}, "'TCP' or 'UDP'"),
    ],
)
def test_malformed_egress_rules_are_rejected(rule: dict[str, object], reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        EgressRule.model_validate(rule)


def test_multi_replica_means_more_than_one_pod_may_serve() -> None:
    base = {"name": "s", "image": "ghcr.io/org/s:1", "transport": "sse", "port": 80}
    assert not ServiceSpec.model_validate(base).multi_replica
    assert ServiceSpec.model_validate({**base, "replicas": {"min": 1, "max": 2}, "sessions": "shared"}).multi_replica


@pytest.mark.parametrize(
    ("sessions", "max_replicas", "error"),
    [
        ("stateful", 1, None),
        ("stateful", 2, "the initialize request carries no session id to route by"),
        ("stateless", 5, None),
        ("shared", 5, None),
    ],
)
def test_only_servers_without_in_memory_sessions_run_several_replicas(
    sessions: str, max_replicas: int, error: str | None
) -> None:
    body = {
        "name": "s",
        "image": "ghcr.io/org/s:1",
        "transport": "streamable-http",
        "port": 80,
        "sessions": sessions,
        "replicas": {"min": 1, "max": max_replicas},
    }
    if error is None:
        assert ServiceSpec.model_validate(body).sessions == sessions
    else:
        with pytest.raises(ValueError, match=error):
            ServiceSpec.model_validate(body)


def test_the_stdio_bridge_cannot_share_sessions() -> None:
    with pytest.raises(ValueError, match="the stdio bridge keeps sessions in memory"):
        ServiceSpec.model_validate(
            {
                "name": "s",
                "build": {"server": "memory"},
                "transport": "stdio",
                "bridge": {},
                "port": 8000,
                "sessions": "shared",
            }
        )
