"""Koyeb McpService under mocks: one spec in, a Koyeb Service (and its secrets) out, secrets only by reference."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_koyeb as koyeb

from components.koyeb.mcp_service import McpService, McpServiceArgs
from components.render.koyeb_platform import KoyebInstanceType, secret_name
from components.spec import ServiceSpec
from infra.mock_runtime import REDACTED, Evaluation, evaluate

SECRET_VALUE = "s3cr3t-value"
BUILT_DIGEST = f"registry.example.com/mcp-suite/sequential-thinking@sha256:{'b' * 64}"
HTTP_SERVER = ServiceSpec.model_validate(
    {
        "name": "search",
        "image": "ghcr.io/example/search:1.4.2",
        "transport": "streamable-http",
        "port": 8080,
        "healthPath": "/health",
        "tier": "medium",
        "args": ["--transport", "http"],
        "env": {"LOG_FORMAT": "json"},
        "secretEnv": ["API_KEY", "DATABASE_URL"],
        "replicas": {"min": 2, "max": 6},
        "sessions": "stateless",
    }
)
BRIDGED = ServiceSpec.model_validate(
    {
        "name": "sequential-thinking",
        "build": {"server": "sequential-thinking"},
        "transport": "stdio",
        "bridge": {},
        "port": 8000,
    }
)


def build(
    spec: ServiceSpec,
    *,
    instance_type: KoyebInstanceType = "medium",
    p95_latency_target_ms: int | None = 500,
    captured: dict[str, str] | None = None,
) -> Evaluation:
    def program() -> McpService:
        app = koyeb.App("app", name="mcp-test")
        service = McpService(
            spec.name,
            McpServiceArgs(
                spec=spec,
                image=spec.image or BUILT_DIGEST,
                app=app,
                app_name="mcp-test",
                public_host="mcp-test-acme.koyeb.app",
                regions=["fra", "was"],
                instance_type=instance_type,
                p95_latency_target_ms=p95_latency_target_ms,
                secret_env={name: pulumi.Output.secret(SECRET_VALUE) for name in spec.secret_env},
            ),
        )
        if captured is not None:
            service.endpoint.apply(lambda url: captured.__setitem__("endpoint", url))
        return service

    return evaluate("test", {}, frozenset(), program)


def definition(evaluation: Evaluation) -> dict[str, Any]:
    [service] = evaluation.of_type("koyeb:index/service:Service")
    result: dict[str, Any] = service.inputs["definition"]
    return result


def test_service_runs_the_spec_image_on_its_port_behind_its_route() -> None:
    evaluation = build(HTTP_SERVER)
    [service] = evaluation.of_type("koyeb:index/service:Service")
    assert service.inputs["appName"] == "mcp-test"
    spec = definition(evaluation)
    assert spec["name"] == "search"
    assert spec["type"] == "WEB"
    assert spec["docker"] == {"image": "ghcr.io/example/search:1.4.2", "args": ["--transport", "http"]}
    assert spec["ports"] == [{"port": 8080, "protocol": "http"}]
    assert spec["routes"] == [{"path": "/search/", "port": 8080}]
    assert spec["regions"] == ["fra", "was"]
    assert spec["instanceTypes"] == [{"type": "medium"}]


def test_health_check_is_http_on_the_health_path() -> None:
    [check] = definition(build(HTTP_SERVER))["healthChecks"]
    assert check["http"] == {"path": "/health", "port": 8080, "method": "GET"}
    # Koyeb's documented bounds: interval 30-300 s, grace period 5-300 s.
    assert 30 <= check["interval"] <= 300 and 5 <= check["gracePeriod"] <= 300
    assert check["restartLimit"] == 3


def test_autoscaling_between_the_spec_bounds_on_cpu_70_and_p95_latency() -> None:
    [scaling] = definition(build(HTTP_SERVER))["scalings"]
    assert (scaling["min"], scaling["max"]) == (2, 6)
    assert scaling["targets"] == [
        {"averageCpus": [{"value": 70}]},
        {"requestResponseTimes": [{"value": 500}]},
    ]


def test_latency_target_can_be_turned_off() -> None:
    [scaling] = definition(build(HTTP_SERVER, p95_latency_target_ms=None))["scalings"]
    assert scaling["targets"] == [{"averageCpus": [{"value": 70}]}]


def test_fixed_instance_count_gets_no_autoscaling_targets() -> None:
    [scaling] = definition(build(BRIDGED))["scalings"]
    assert scaling == {"min": 1, "max": 1}


def test_env_carries_port_and_plain_values_and_secrets_only_by_koyeb_secret_name() -> None:
    evaluation = build(HTTP_SERVER)
    envs = {entry["key"]: entry for entry in definition(evaluation)["envs"]}
    assert envs["PORT"] == {"key": "PORT", "value": "8080"}
    assert envs["LOG_FORMAT"] == {"key": "LOG_FORMAT", "value": "json"}
    for env_name in ("API_KEY", "DATABASE_URL"):
        assert envs[env_name] == {"key": env_name, "secret": secret_name("mcp-test", "search", env_name)}
        assert "value" not in envs[env_name]


def test_secret_values_are_koyeb_secrets_and_stay_secret() -> None:
    evaluation = build(HTTP_SERVER)
    secrets = {entry.name: entry.inputs for entry in evaluation.of_type("koyeb:index/secret:Secret")}
    assert secrets == {
        "search-secret-API_KEY": {
            "name": secret_name("mcp-test", "search", "API_KEY"),
            "type": "SIMPLE",
            "value": REDACTED,
        },
        "search-secret-DATABASE_URL": {
            "name": secret_name("mcp-test", "search", "DATABASE_URL"),
            "type": "SIMPLE",
            "value": REDACTED,
        },
    }
    assert SECRET_VALUE not in repr([entry.inputs for entry in evaluation.registrations])


def test_children_are_parented_and_named_from_the_component() -> None:
    evaluation = build(HTTP_SERVER)
    assert evaluation.named("search", "mcp-suite:koyeb:McpService").parent is None
    assert {child.name for child in evaluation.children_of("search")} == {
        "search-service",
        "search-secret-API_KEY",
        "search-secret-DATABASE_URL",
    }


def test_stdio_server_runs_behind_the_bridge_on_the_spec_port() -> None:
    spec = definition(build(BRIDGED))
    assert spec["docker"]["image"] == BUILT_DIGEST
    args = spec["docker"]["args"]
    assert args[:3] == [
        "/app/bridge/src/bridge.js",
        "--stdio",
        "@modelcontextprotocol/server-sequential-thinking@2026.8.31",
    ]
    # The bridge listens where its --port flag says; PORT says the same, for Koyeb's convention.
    assert args[args.index("--port") + 1] == "8000"
    # Koyeb's proxy passes the App's host name on in `Host`: the bridge answers MCP requests for it.
    assert args[args.index("--allowed-hosts") + 1] == "mcp-test-acme.koyeb.app,sequential-thinking"
    # Koyeb routes every path under the service's prefix publicly: its metrics are not served there.
    assert "--no-metrics-endpoint" in args and "--metrics-path" not in args
    envs = {entry["key"]: entry.get("value") for entry in spec["envs"]}
    assert envs["PORT"] == "8000"


def test_endpoint_is_the_public_url_of_the_mcp_path_under_the_route() -> None:
    captured: dict[str, str] = {}
    build(HTTP_SERVER, captured=captured)
    # Koyeb strips the route prefix, so the container sees /mcp.
    assert captured == {"endpoint": "https://mcp-test-acme.koyeb.app/search/mcp"}
