"""An MCP client built with the official Python SDK: `python client.py URL TOKEN MODE [TOOL]`, MODE `auto`
(2026-07-28, `server/discover`) or `legacy` (the initialize handshake). Lists the tools, calls TOOL (default
`echo`) with a text, prints JSON."""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Literal

import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client


async def main(url: str, token: str, mode: Literal["auto", "legacy"], tool: str) -> None:
    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=20)
    async with Client(streamable_http_client(url, http_client=http), mode=mode) as client:
        tools = await client.list_tools()
        called = await client.call_tool(tool, {"text": "through the edge"})
        version = client.protocol_version
    text = [part.text for part in called.content if part.type == "text"]
    summary = {"protocol": version, "tools": sorted(listed.name for listed in tools.tools), "called": text}
    print(json.dumps({**summary, "error": called.is_error}))


if __name__ == "__main__":
    tool = sys.argv[4] if len(sys.argv) > 4 else "echo"
    asyncio.run(main(sys.argv[1], sys.argv[2], "legacy" if sys.argv[3] == "legacy" else "auto", tool))
