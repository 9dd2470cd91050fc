"""Both MCP revisions through the real worker: official SDK clients and server, workerd between them.

The origin is an MCP server built with the official Python SDK, which checks `MCP-Protocol-Version`,
`Mcp-Method` and `Mcp-Name` against the body of every 2026-07-28 request. The edge runs in workerd
(edge/dev.js). The official Python SDK client negotiates 2026-07-28 (`server/discover`) or, in legacy mode,
the 2025-11-25 handshake; the official TypeScript SDK client (edge/package.json) speaks 2025-11-25. An edge
that drops the standard headers makes the modern client fall back to the handshake without a word, so the
tests assert the revision each client ended up speaking.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from infra.stack_files import PROJECT_DIR
from tests.helpers.tools import require_edge_packages, require_tool, require_venv_tool

PEERS = Path(__file__).resolve().parent / "mcp_peers"
EDGE_DIR = PROJECT_DIR / "edge"
TOKEN = "revision-test-token"
SERVICE = "echo"
HEADER_MISMATCH = -32020


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_for_port(port: int, process: subprocess.Popen[str], what: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"{what} exited: {process.communicate()[0]}")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise AssertionError(f"{what} did not listen on {port} within 30 s")


def start(command: list[str], port: int, what: str, **kwargs: Any) -> subprocess.Popen[str]:
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kwargs)
    try:
        wait_for_port(port, process, what)
    except BaseException:
        process.kill()
        raise
    return process


@pytest.fixture(scope="module")
def edge_url() -> Iterator[str]:
    python = require_venv_tool("mcp", "python")
    node = require_tool("node")
    require_edge_packages()
    origin_port, edge_port = free_port(), free_port()
    origin = start([python, str(PEERS / "origin_server.py"), str(origin_port), SERVICE], origin_port, "origin")
    environment = {
        **os.environ,
        "EDGE_TOKEN": TOKEN,
        "ORIGIN_HOST": f"127.0.0.1:{origin_port}",
        "SERVICES": SERVICE,
        "PORT": str(edge_port),
    }
    try:
        edge = start([node, "dev.js"], edge_port, "edge worker", cwd=EDGE_DIR, env=environment)
        try:
            yield f"http://127.0.0.1:{edge_port}/{SERVICE}/mcp"
        finally:
            edge.terminate()
            edge.wait(timeout=10)
    finally:
        origin.terminate()
        origin.wait(timeout=10)


def python_client(url: str, mode: str) -> dict[str, Any]:
    python = require_venv_tool("mcp", "python")
    result = subprocess.run(
        [python, str(PEERS / "client.py"), url, TOKEN, mode], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    outcome: dict[str, Any] = json.loads(result.stdout)
    return outcome


@pytest.mark.slow
def test_a_2026_07_28_client_speaks_its_revision_through_the_edge(edge_url: str) -> None:
    outcome = python_client(edge_url, "auto")
    assert outcome == {
        "protocol": "2026-07-28",
        "tools": ["echo"],
        "echo": ["echo: through the edge"],
        "error": False,
    }


@pytest.mark.slow
def test_a_2025_11_25_client_keeps_its_handshake_and_session_through_the_edge(edge_url: str) -> None:
    outcome = python_client(edge_url, "legacy")
    assert outcome["protocol"] == "2025-11-25"
    assert outcome["echo"] == ["echo: through the edge"]


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
        "tools": ["echo"],
        "echo": ["echo: through the edge"],
    }


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
