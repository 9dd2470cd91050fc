"""An MCP client built with the official Python SDK: `python client.py URL TOKEN MODE`, MODE `auto` (2026-07-28,
`server/discover`) or `legacy` (the initialize handshake). Lists the tools, calls `echo`, prints JSON."""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Literal

import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client


async def main(url: str, token: str, mode: Literal["auto", "legacy"]) -> None:
    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=20)
    async with Client(streamable_http_client(url, http_client=http), mode=mode) as client:
        tools = await client.list_tools()
        called = await client.call_tool("echo", {"text": "through the edge"})
        version = client.protocol_version
    text = [part.text for part in called.content if part.type == "text"]
    summary = {"protocol": version, "tools": sorted(tool.name for tool in tools.tools), "echo": text}
    print(json.dumps({**summary, "error": called.is_error}))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], "legacy" if sys.argv[3] == "legacy" else "auto"))
