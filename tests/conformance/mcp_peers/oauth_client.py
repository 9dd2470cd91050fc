"""An MCP client of the official Python SDK that authorizes with OAuth (client credentials) before it connects:
`python oauth_client.py URL ISSUER CLIENT_ID CLIENT_SECRET`. The SDK follows the edge's 401 to the service's
protected resource metadata, discovers the authorization server, asks it for a token for this service's URL
(RFC 8707) and retries. Prints JSON: the tools, the echo, and the revision spoken."""

from __future__ import annotations

import asyncio
import json
import sys

import httpx2
from mcp import Client
from mcp.client.auth import TokenStorage
from mcp.client.auth.extensions.client_credentials import ClientCredentialsOAuthProvider
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import OAuthClientInformationFull, OAuthToken


class MemoryStorage(TokenStorage):
    def __init__(self) -> None:
        self.tokens: OAuthToken | None = None
        self.client: OAuthClientInformationFull | None = None

    async def get_tokens(self) -> OAuthToken | None:
        return self.tokens

    async def set_tokens(self, tokens: OAuthToken) -> None:
        self.tokens = tokens

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        return self.client

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        self.client = client_info


async def main(url: str, issuer: str, client_id: str, client_secret: str) -> None:
    auth = ClientCredentialsOAuthProvider(
        server_url=url, storage=MemoryStorage(), client_id=client_id, client_secret=client_secret, issuer=issuer
    )
    http = httpx2.AsyncClient(auth=auth, timeout=20)
    async with Client(streamable_http_client(url, http_client=http)) as client:
        tools = await client.list_tools()
        called = await client.call_tool("echo", {"text": "with an OAuth token"})
        version = client.protocol_version
    text = [part.text for part in called.content if part.type == "text"]
    print(json.dumps({"protocol": version, "tools": sorted(tool.name for tool in tools.tools), "echo": text}))


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:5]))
