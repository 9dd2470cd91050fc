"""The container arguments of a service: the suite's bridge (images/bridge) for stdio servers, else the spec's own."""

from __future__ import annotations

from collections.abc import Sequence

from components.render.image_build import build_plan
from components.spec import BRIDGE_METRICS_PATH, ServiceSpec

BRIDGE_SCRIPT = "/app/bridge/src/bridge.js"
HEALTHCHECK_SCRIPT = "/app/bridge/src/healthcheck.js"
DEV_SOURCE_PATH = "/app/dev-source"
"""Where a dev stack mounts a service's `devSource` checkout."""
NODE = "/nodejs/bin/node"
"""The entrypoint of the suite's images (distroless Node.js), which runs the bridge or the server."""


def stdio_command(spec: ServiceSpec) -> str | None:
    """The bridge's `--stdio` value: the image's one server package at the version its folder pins, then the
    catalog's arguments. Derived, never declared: the folder's package.json is the one place the version lives
    (settings have checked the folder exists)."""
    if spec.bridge is None or spec.build is None:
        return None
    plan = build_plan(spec.build.server)
    return " ".join([f"{plan.package}@{plan.version}", *spec.bridge.args])


def container_args(spec: ServiceSpec, hosts: Sequence[str], *, serve_metrics: bool = True) -> list[str] | None:
    """Arguments for the image's entrypoint: the bridge and its flags for stdio servers, else the spec's `args`.

    `hosts` are the names clients reach the service by on this target besides its own name (the gateway's public
    names, the cluster's DNS names): the bridge answers MCP requests for them and IP addresses only, so a web page
    whose name a DNS rebinding points at the service is refused. `serve_metrics` is False where the platform routes
    every path of the port publicly (Koyeb), so the per-tool metrics are not published to anyone."""
    bridge, command = spec.bridge, stdio_command(spec)
    if bridge is None or command is None:
        return list(spec.args) if spec.args is not None else None
    serialize = ["--serialize"] if bridge.serialize_calls else []
    reload = ["--dev-source", DEV_SOURCE_PATH] if spec.dev_source is not None else []
    return [
        BRIDGE_SCRIPT,
        "--stdio",
        command,
        "--port",
        str(spec.port),
        "--path",
        spec.mcp_path,
        "--health-path",
        spec.health_path,
        *(["--metrics-path", BRIDGE_METRICS_PATH] if serve_metrics else ["--no-metrics-endpoint"]),
        # `stateful`: sessions with ids, each a small object relayed to the one server process; `stateless`: none.
        "--sessions",
        "stateless" if spec.sessions == "stateless" else "stateful",
        "--session-timeout-seconds",
        str(bridge.session_timeout_seconds),
        "--max-sessions",
        str(bridge.max_sessions),
        "--allowed-hosts",
        ",".join(sorted({spec.name, *hosts})),
        *serialize,
        *reload,
    ]
