"""One MCP client of the official Python SDK that calls one tool many times: `python repeated_calls.py URL MODE N
TOOL ARGUMENTS_JSON`. Every request goes out on a new connection, as a gateway that balances each request (not each
connection) would send it, so that behind a Service's connection balancing the requests can land on any replica.
Prints `{protocol, answered, failed}` as JSON.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any, Literal

import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client


async def main(url: str, mode: Literal["auto", "legacy"], calls: int, tool: str, arguments: dict[str, Any]) -> None:
    http = httpx2.AsyncClient(timeout=30, limits=httpx2.Limits(max_keepalive_connections=0))
    answered, failed = 0, []
    async with Client(streamable_http_client(url, http_client=http), mode=mode) as client:
        for _ in range(calls):
            result = await client.call_tool(tool, arguments)
            if result.is_error:
                failed.append([part.text for part in result.content if part.type == "text"])
            else:
                answered += 1
        protocol = client.protocol_version
    print(json.dumps({"protocol": protocol, "answered": answered, "failed": failed}))


if __name__ == "__main__":
    url, mode, count, tool, arguments = sys.argv[1:6]
    asyncio.run(main(url, "legacy" if mode == "legacy" else "auto", int(count), tool, json.loads(arguments)))
