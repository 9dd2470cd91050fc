"""Both MCP revisions through the real worker: official SDK clients and server, workerd between them.

The origin is an MCP server built with the official Python SDK, which checks `MCP-Protocol-Version`,
`Mcp-Method` and `Mcp-Name` against the body of every 2026-07-28 request. The edge runs in workerd
(edge/dev.js). The official Python SDK client negotiates 2026-07-28 (`server/discover`) or, in legacy mode,
the 2025-11-25 handshake; the official TypeScript SDK client (edge/package.json) speaks 2025-11-25. An edge
that drops the standard headers makes the modern client fall back to the handshake without a word, so the
tests assert the revision each client ended up speaking.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from infra.stack_files import PROJECT_DIR
from tests.helpers.processes import free_port, start_listening, stop
from tests.helpers.tools import require_edge_packages, require_tool, require_venv_tool

PEERS = Path(__file__).resolve().parent / "mcp_peers"
EDGE_DIR = PROJECT_DIR / "edge"
TOKEN = "revision-test-token"
SERVICE = "echo"
HEADER_MISMATCH = -32020


@contextmanager
def serving(edge_port: int, extra_environment: dict[str, str] | None = None) -> Iterator[str]:
    """The SDK's server as the origin and the worker in front of it; yields the service's URL at the edge."""
    python = require_venv_tool("mcp", "python")
    node = require_tool("node")
    require_edge_packages()
    origin_port = free_port()
    command = [python, str(PEERS / "origin_server.py"), str(origin_port), SERVICE]
    origin = start_listening(command, origin_port, "origin")
    environment = {
        **os.environ,
        "EDGE_TOKEN": TOKEN,
        "ORIGIN_HOST": f"127.0.0.1:{origin_port}",
        "SERVICES": SERVICE,
        "PORT": str(edge_port),
        **(extra_environment or {}),
    }
    try:
        edge = start_listening([node, "dev.js"], edge_port, "edge worker", cwd=EDGE_DIR, env=environment)
        try:
            yield f"http://127.0.0.1:{edge_port}/{SERVICE}/mcp"
        finally:
            stop(edge)
    finally:
        stop(origin)


@pytest.fixture(scope="module")
def edge_url() -> Iterator[str]:
    with serving(free_port()) as url:
        yield url


def python_client(url: str, mode: str, tool: str = "echo") -> dict[str, Any]:
    python = require_venv_tool("mcp", "python")
    command = [python, str(PEERS / "client.py"), url, TOKEN, mode, tool]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    outcome: dict[str, Any] = json.loads(result.stdout)
    return outcome


@pytest.mark.slow
def test_a_2026_07_28_client_speaks_its_revision_through_the_edge(edge_url: str) -> None:
    outcome = python_client(edge_url, "auto")
    assert outcome == {
        "protocol": "2026-07-28",
        "tools": ["echo", "shout"],
        "called": ["echo: through the edge"],
        "error": False,
    }


@pytest.mark.slow
def test_a_2025_11_25_client_keeps_its_handshake_and_session_through_the_edge(edge_url: str) -> None:
    outcome = python_client(edge_url, "legacy")
    assert outcome["protocol"] == "2025-11-25"
    assert outcome["called"] == ["echo: through the edge"]


@pytest.mark.slow
def test_the_typescript_sdk_client_keeps_its_session_through_the_edge(edge_url: str) -> None:
    node = require_tool("node")
    result = subprocess.run(
        [node, "test/peers/typescript-client.mjs", edge_url, TOKEN],
        cwd=EDGE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads(result.stdout) == {
        "protocol": "2025-11-25",
        "session": True,
        "tools": ["echo", "shout"],
        "echo": ["echo: through the edge"],
    }


@pytest.fixture(scope="module")
def limited_edge_url() -> Iterator[str]:
    """The edge with the client's scope naming only `echo` of the service, whose origin also has `shout`."""
    scopes = {"local": {"services": [SERVICE], "tools": {SERVICE: ["echo"]}}}
    with serving(free_port(), {"CLIENT_SCOPES": json.dumps(scopes)}) as url:
        yield url


@pytest.mark.slow
@pytest.mark.parametrize(("mode", "protocol"), [("auto", "2026-07-28"), ("legacy", "2025-11-25")])
def test_a_client_limited_to_some_tools_lists_only_those_and_a_hidden_one_is_unknown(
    edge_url: str, limited_edge_url: str, mode: str, protocol: str
) -> None:
    unlimited = python_client(edge_url, mode, "shout")
    assert (unlimited["tools"], unlimited["called"], unlimited["error"]) == (
        ["echo", "shout"],
        ["THROUGH THE EDGE"],
        False,
    )
    absent = python_client(limited_edge_url, mode, "no_such_tool")
    assert python_client(limited_edge_url, mode, "shout") == {
        "protocol": protocol,
        "tools": ["echo"],
        # Word for word what the server says of a tool it does not have.
        "called": [text.replace("no_such_tool", "shout") for text in absent["called"]],
        "error": True,
    }
    assert absent["error"] is True and "no_such_tool" in absent["called"][0]
    assert python_client(limited_edge_url, mode)["called"] == ["echo: through the edge"]


def post(url: str, body: dict[str, Any], headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        method="POST",
        headers={
            "Authorization": f"Bearer {TOKEN}",
            "Content-Type": "application/json",
            "Accept": "application/json, text/event-stream",
            **headers,
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def modern_call(tool: str) -> dict[str, Any]:
    meta = {
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": {},
    }
    return {"jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": {"name": tool, "arguments": {}, "_meta": meta}}


@pytest.mark.slow
@pytest.mark.parametrize(
    ("headers", "why"),
    [
        ({"Mcp-Method": "tools/list", "Mcp-Name": "echo"}, "Mcp-Method"),
        ({"Mcp-Method": "tools/call", "Mcp-Name": "delete_everything"}, "Mcp-Name"),
        ({}, "Mcp-Method"),
    ],
    ids=["method-disagrees", "name-disagrees", "modern-without-headers"],
)
def test_headers_that_disagree_with_the_body_get_the_specs_error_from_the_edge(
    edge_url: str, headers: dict[str, str], why: str
) -> None:
    status, answer = post(edge_url, modern_call("echo"), {"MCP-Protocol-Version": "2026-07-28", **headers})
    assert status == 400
    assert answer["id"] == 7
    assert answer["error"]["code"] == HEADER_MISMATCH
    assert why in answer["error"]["message"]
    # The edge answered (its request id is there): the mismatched request never reached the origin.
    assert answer["error"]["data"]["requestId"]


CLIENT_ID, CLIENT_SECRET = "machine-client", "machine-client-secret"


@pytest.fixture(scope="module")
def oauth() -> Iterator[dict[str, str]]:
    """A real OpenID provider (edge/test/peers/oidc-provider.mjs) whose access tokens the edge accepts."""
    node = require_tool("node")
    require_edge_packages()
    provider_port, edge_port = free_port(), free_port()
    issuer = f"http://127.0.0.1:{provider_port}"
    command = [node, "test/peers/oidc-provider.mjs", str(provider_port), CLIENT_ID, CLIENT_SECRET]
    provider = start_listening(
        [*command, f"http://127.0.0.1:{edge_port}/"], provider_port, "OpenID provider", cwd=EDGE_DIR
    )
    try:
        with serving(edge_port, {"OAUTH_ISSUER": issuer, "OAUTH_JWKS_URI": f"{issuer}/jwks"}) as url:
            yield {"url": url, "issuer": issuer}
    finally:
        stop(provider)


def access_token(issuer: str, resource: str) -> str:
    """A client-credentials token from the provider, issued for `resource`."""
    form = urllib.parse.urlencode({"grant_type": "client_credentials", "resource": resource}).encode()
    basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    request = urllib.request.Request(f"{issuer}/token", data=form, headers={"Authorization": f"Basic {basic}"})
    with urllib.request.urlopen(request, timeout=20) as response:
        token: str = json.loads(response.read())["access_token"]
        return token


@pytest.mark.slow
def test_an_sdk_client_authorizes_with_oauth_through_the_edges_metadata(oauth: dict[str, str]) -> None:
    python = require_venv_tool("mcp", "python")
    command = [python, str(PEERS / "oauth_client.py"), oauth["url"], oauth["issuer"], CLIENT_ID, CLIENT_SECRET]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads(result.stdout) == {
        "protocol": "2026-07-28",
        "tools": ["echo", "shout"],
        "echo": ["echo: with an OAuth token"],
    }


@pytest.mark.slow
def test_the_challenge_and_the_metadata_name_the_service_and_its_authorization_server(oauth: dict[str, str]) -> None:
    status, headers, _ = call(oauth["url"], None)
    assert status == 401
    metadata_url = oauth["url"].replace("/echo/mcp", "/.well-known/oauth-protected-resource/echo/mcp")
    assert f'resource_metadata="{metadata_url}"' in headers["WWW-Authenticate"]
    with urllib.request.urlopen(metadata_url, timeout=20) as response:
        metadata = json.loads(response.read())
    assert metadata == {
        "resource": oauth["url"],
        "authorization_servers": [oauth["issuer"]],
        "bearer_methods_supported": ["header"],
    }


@pytest.mark.slow
def test_a_token_issued_for_another_resource_is_refused(oauth: dict[str, str]) -> None:
    other = oauth["url"].replace("/echo/mcp", "/other/mcp")
    status, headers, answer = call(oauth["url"], access_token(oauth["issuer"], other))
    assert status == 401
    assert 'error="invalid_token"' in headers["WWW-Authenticate"]
    assert answer["message"] == "The token was issued for another resource."
    # The same client's token for this service gets past the edge (the server then judges the bare ping).
    own_status, _, own_answer = call(oauth["url"], access_token(oauth["issuer"], oauth["url"]))
    assert own_status != 401, own_answer


def call(url: str, token: str | None) -> tuple[int, Any, dict[str, Any]]:
    body = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
    headers = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status, response.headers, {}
    except urllib.error.HTTPError as error:
        return error.code, error.headers, json.loads(error.read() or b"{}")
