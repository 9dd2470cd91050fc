"""Docker McpService under mocks: a built (or pulled) image and a hardened container from one spec."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_docker as docker

from components.docker.mcp_service import DockerVolume, McpService, McpServiceArgs
from components.spec import ServiceSpec
from infra.mock_runtime import REDACTED, Evaluation, evaluate

BUILT = "mcp-suite/memory:2026.8.31-0123456789ab"
SPEC = ServiceSpec.model_validate(
    {
        "name": "memory",
        "build": {"server": "memory"},
        "transport": "stdio",
        "bridge": {"serializeCalls": True},
        "port": 8000,
        "stateful": True,
        "env": {"MEMORY_FILE_PATH": "/data/graph/memory.jsonl"},
        "secretEnv": ["API_TOKEN"],
        "volumes": [{"volume": "memory-graph", "mountPath": "/data/graph"}],
        "egress": [{"host": "api.example.com", "ports": [443]}],
    }
)


def build() -> Evaluation:
    def program() -> McpService:
        volume = docker.Volume("graph", name="mcp-test-memory-graph")
        return McpService(
            "memory",
            McpServiceArgs(
                spec=SPEC,
                image=BUILT,
                container_name="mcp-test-memory",
                stack="test",
                internal_network="mcp-test-internal",
                egress_network="mcp-test-egress" if SPEC.egress else None,
                volumes=[DockerVolume(purpose="memory-graph", volume=volume)],
                secret_env={"API_TOKEN": pulumi.Output.secret("tok-123")},
                public_hosts=["mcp.example.com"],
            ),
        )

    return evaluate("test", {}, frozenset(), program)


def container() -> dict[str, Any]:
    return build().named("memory-container", "docker:index/container:Container").inputs


def test_container_is_hardened() -> None:
    c = container()
    assert c["readOnly"] is True
    assert c["user"] == "10001:10001"
    assert c["capabilities"] == {"drops": ["ALL"]}
    assert c["securityOpts"] == ["no-new-privileges:true"]
    assert c["tmpfs"] == {"/tmp": "rw,noexec,nosuid,nodev,size=64m"}
    # In the provider's own form, so an unchanged container previews no change; no swap beyond the memory.
    assert (c["memory"], c["memoryReservation"], c["memorySwap"], c["cpus"]) == (512, 256, 512, "1.0")
    assert c["restart"] == "unless-stopped"
    assert c["logDriver"] == "json-file" and c["logOpts"] == {"max-size": "10m", "max-file": "3"}


def test_health_check_asks_the_health_path_with_the_images_node() -> None:
    health = container()["healthcheck"]
    assert health["tests"] == [
        "CMD",
        "/nodejs/bin/node",
        "/app/bridge/src/healthcheck.js",
        "http://127.0.0.1:8000/healthz",
    ]


def test_the_bridge_runs_the_pinned_server_once_and_serializes_its_calls() -> None:
    command = container()["command"]
    assert command[:3] == ["/app/bridge/src/bridge.js", "--stdio", "@modelcontextprotocol/server-memory@2026.8.31"]
    assert command[command.index("--session-timeout-seconds") + 1] == "1800"
    # Its name on the suite's network, for callers, and the gateway's, which the gateway passes on in `Host`.
    assert command[command.index("--allowed-hosts") + 1] == "mcp.example.com,memory"
    assert command[-1] == "--serialize"


def test_publishes_nothing_and_joins_the_egress_network_because_it_declares_egress() -> None:
    c = container()
    assert "ports" not in c
    assert c["networksAdvanced"] == [
        {"name": "mcp-test-internal", "aliases": ["memory"]},
        {"name": "mcp-test-egress"},
    ]


def test_a_service_without_egress_is_only_on_the_internal_network() -> None:
    spec = SPEC.model_copy(update={"egress": [], "secret_env": [], "volumes": []})

    def program() -> McpService:
        return McpService(
            "quiet",
            McpServiceArgs(
                spec=spec, image=BUILT, container_name="mcp-test-quiet", stack="test", internal_network="internal"
            ),
        )

    quiet = evaluate("test", {}, frozenset(), program).named("quiet-container").inputs
    assert quiet["networksAdvanced"] == [{"name": "internal", "aliases": ["memory"]}]


def test_a_built_image_runs_as_built_and_a_published_one_is_pulled() -> None:
    evaluation = build()
    assert evaluation.named("memory-container").inputs["image"] == BUILT
    assert not evaluation.of_type("docker:index/remoteImage:RemoteImage")
    published = SPEC.model_copy(
        update={"build": None, "image": "docker.io/mcp/example:1.2.3", "bridge": None, "secret_env": [], "volumes": []}
    )

    def program() -> McpService:
        return McpService(
            "example",
            McpServiceArgs(
                spec=published,
                image="docker.io/mcp/example:1.2.3",
                container_name="mcp-test-example",
                stack="test",
                internal_network="internal",
            ),
        )

    pulled = evaluate("test", {}, frozenset(), program)
    image = pulled.named("example-image", "docker:index/remoteImage:RemoteImage").inputs
    assert image == {"name": "docker.io/mcp/example:1.2.3", "keepLocally": True}
    # The pinned reference, not the pull's image id: known at preview, so the policy pack judges it there.
    assert pulled.named("example-container").inputs["image"] == "docker.io/mcp/example:1.2.3"


def test_volume_is_mounted() -> None:
    evaluation = build()
    mounts = evaluation.named("memory-container").inputs["volumes"]
    assert mounts == [{"volumeName": "mcp-test-memory-graph", "containerPath": "/data/graph", "readOnly": False}]


def test_secret_env_stays_secret() -> None:
    c = container()
    # One secret value makes the whole env list secret in state and previews.
    assert c["envs"] == REDACTED
    assert "tok-123" not in repr(build().registrations)


def test_a_stateless_service_is_replaced_side_by_side_and_a_stateful_one_stops_first() -> None:
    """A change to a stateless service starts its new container (awaited healthy) before the old one stops, under
    a name Pulumi generates per replacement; a stateful one keeps one fixed name and one writer of its volume."""
    stateless = SPEC.model_copy(
        update={"stateful": False, "sessions": "stateless", "egress": [], "secret_env": [], "volumes": []}
    )

    def program() -> None:
        stateful = SPEC.model_copy(update={"egress": [], "secret_env": [], "volumes": []})
        for spec in (stateless.model_copy(update={"name": "thinking"}), stateful):
            McpService(
                spec.name,
                McpServiceArgs(
                    spec=spec, image=BUILT, container_name=f"mcp-test-{spec.name}", stack="test", internal_network="net"
                ),
            )

    evaluation = evaluate("test", {}, frozenset(), program)
    side_by_side = evaluation.named("mcp-test-thinking", "docker:index/container:Container")
    assert "name" not in side_by_side.inputs
    assert side_by_side.options["deleteBeforeReplace"] is False
    assert side_by_side.options["aliases"] == ["alias(name=thinking-container)"]
    assert side_by_side.inputs["networksAdvanced"] == [{"name": "net", "aliases": ["thinking"]}]
    stops_first = evaluation.named("memory-container", "docker:index/container:Container")
    assert stops_first.inputs["name"] == "mcp-test-memory"
    assert stops_first.options["deleteBeforeReplace"] is None
    # Both get time to drain when stopped.
    assert side_by_side.inputs["destroyGraceSeconds"] == stops_first.inputs["destroyGraceSeconds"] == 30
