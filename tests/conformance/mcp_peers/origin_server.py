"""An MCP server built with the official Python SDK (2026-07-28 and the handshake revisions), the edge's origin.

Run by tests/conformance/test_edge_mcp_revisions.py with the SDK's own interpreter (.tools/mcp):
`python origin_server.py PORT SERVICE`; it serves `/<SERVICE>/mcp` on 127.0.0.1 and checks the standard
headers (MCP-Protocol-Version, Mcp-Method, Mcp-Name) against every modern request's body, as the SDK does.
"""

from __future__ import annotations

import sys

from mcp.server.mcpserver import MCPServer


def main() -> None:
    port, service = int(sys.argv[1]), sys.argv[2]
    server = MCPServer(service)

    @server.tool()
    def echo(text: str) -> str:
        """Say the text back."""
        return f"echo: {text}"

    @server.tool()
    def shout(text: str) -> str:
        """Say the text back in capitals."""
        return text.upper()

    server.run("streamable-http", host="127.0.0.1", port=port, streamable_http_path=f"/{service}/mcp")


if __name__ == "__main__":
    main()
