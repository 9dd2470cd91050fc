"""Arguments of the stdio-to-streamable-HTTP bridge (supergateway) for a stdio MCP server."""

from __future__ import annotations

from components.spec import ServiceSpec


def container_args(spec: ServiceSpec) -> list[str] | None:
    """Arguments for the image's entrypoint: the bridge's flags for stdio servers, else the spec's own `args`."""
    if spec.bridge is None:
        return list(spec.args) if spec.args is not None else None
    # `--stateful`: one child process per MCP session, held in this replica's memory (one replica only, see
    # ServiceSpec.sessions); without it the bridge issues no session ids and starts a child per request.
    mode = ["--stateful"] if spec.sessions == "stateful" else []
    return [
        "--stdio",
        spec.bridge.stdio_command,
        "--outputTransport",
        "streamableHttp",
        *mode,
        "--port",
        str(spec.port),
        "--streamableHttpPath",
        spec.mcp_path,
        "--healthEndpoint",
        spec.health_path,
        "--logLevel",
        "info",
    ]


def runtime_env(spec: ServiceSpec) -> dict[str, str]:
    """Environment the bridge's child needs on a read-only root filesystem: npm's cache and HOME on /tmp."""
    if spec.bridge is None:
        return {}
    return {"HOME": "/tmp", "npm_config_cache": "/tmp/.npm", "npm_config_update_notifier": "false"}
