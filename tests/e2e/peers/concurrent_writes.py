"""Concurrent writers through the gateway with the official Python SDK: `python concurrent_writes.py URL CA_FILE
SESSIONS WRITES PREFIX`. Opens SESSIONS sessions to the memory service at once; each creates WRITES entities
named `PREFIX-<session>-<write>`, one call at a time, and opens a new session when a call's exchange breaks. Then
a new session reads the graph back. Prints `{"acknowledged": [names], "failed": [[name, why]], "found": [names
with PREFIX]}` as JSON."""

from __future__ import annotations

import asyncio
import json
import ssl
import sys
from typing import Any

import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client


def client(url: str, tls: ssl.SSLContext) -> Client:
    return Client(streamable_http_client(url, http_client=httpx2.AsyncClient(verify=tls, timeout=60)))


async def writer(url: str, tls: ssl.SSLContext, names: list[str], outcome: dict[str, Any]) -> None:
    pending = list(names)
    while pending:
        try:
            async with client(url, tls) as mcp:
                while pending:
                    name = pending[0]
                    entity = {"name": name, "entityType": "test", "observations": ["written"]}
                    result = await mcp.call_tool("create_entities", {"entities": [entity]})
                    pending.pop(0)
                    if result.is_error:
                        outcome["failed"].append([name, "tool error"])
                    else:
                        outcome["acknowledged"].append(name)
        # A broken exchange: the write's fate is unknown to the client, which goes on in a new session.
        except Exception as error:
            outcome["failed"].append([pending.pop(0), repr(error)[:300]])


async def read_entities(url: str, tls: ssl.SSLContext, attempts: int = 3) -> list[dict[str, Any]]:
    """The graph's entities; a read is safe to repeat, so a broken exchange is tried again (at most `attempts`)."""
    for attempt in range(attempts):
        try:
            async with client(url, tls) as mcp:
                graph = await mcp.call_tool("read_graph", {})
            text = "".join(part.text for part in graph.content if part.type == "text")
            entities: list[dict[str, Any]] = json.loads(text).get("entities", [])
            return entities
        except Exception:
            if attempt == attempts - 1:
                raise
    return []


async def main(url: str, ca_file: str, sessions: int, writes: int, prefix: str) -> None:
    tls = ssl.create_default_context(cafile=ca_file)
    outcome: dict[str, Any] = {"acknowledged": [], "failed": []}
    plans = [[f"{prefix}-{session}-{write}" for write in range(writes)] for session in range(sessions)]
    await asyncio.gather(*(writer(url, tls, names, outcome) for names in plans))
    entities = await read_entities(url, tls)
    outcome["found"] = sorted(entity["name"] for entity in entities if entity["name"].startswith(f"{prefix}-"))
    print(json.dumps(outcome))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]))
