"""The bindings the program renders for staging and prod, loaded by the real worker in workerd.

Proves the contract between components/render/edge_worker.py and edge/src/worker.js: every catalog service
is routed, the token hashes authenticate, and nothing else is served.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from typing import Any

import pytest

from infra.mock_runtime import SECRET_SIG
from infra.stack_files import PROJECT_DIR
from tests.helpers.stacks import KUBERNETES_STACKS, evaluate_stack
from tests.helpers.tools import require_edge_packages, require_tool

EDGE_DIR = PROJECT_DIR / "edge"
TOKEN = "conformance-client-token"


def rendered_bindings(stack: str) -> tuple[dict[str, str], list[dict[str, Any]], list[str]]:
    """The script's text bindings by name, its rate limiting bindings and its compatibility flags as rendered."""
    secrets = {
        "cloudflareApiToken": "unused",
        "clientTokenHashes": {"alice": hashlib.sha256(TOKEN.encode()).hexdigest()},
    }
    evaluation = evaluate_stack(
        stack, overrides={"edgeSecrets": secrets}, secret_keys=frozenset({"mcp-suite:edgeSecrets"})
    )
    script = evaluation.named("edge-script")
    wire: Any = script.wire_inputs["bindings"]
    assert wire[SECRET_SIG]
    texts = {binding["name"]: binding["text"] for binding in wire["value"] if "text" in binding}
    rate_limits = [binding for binding in wire["value"] if binding["type"] == "ratelimit"]
    return texts, rate_limits, list(script.inputs["compatibilityFlags"])


def run_probe(bindings: dict[str, str], rate_limits: list[dict[str, Any]], flags: list[str]) -> dict[str, Any]:
    node = require_tool("node")
    require_edge_packages()
    result = subprocess.run(
        [node, "test/probe-bindings.js"],
        cwd=EDGE_DIR,
        input=json.dumps(
            {"bindings": bindings, "rateLimits": rate_limits, "compatibilityFlags": flags, "token": TOKEN}
        ),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    probe: dict[str, Any] = json.loads(result.stdout)
    return probe


@pytest.mark.slow
@pytest.mark.parametrize("stack", KUBERNETES_STACKS)
def test_rendered_bindings_route_the_catalog_in_workerd(stack: str) -> None:
    bindings, rate_limits, flags = rendered_bindings(stack)
    assert [limit["name"] for limit in rate_limits] == ["CLIENT_RATE_LIMIT"]
    probe = run_probe(bindings, rate_limits, flags)
    # Only audit records (workerd may hand the last ones over after the probe read them): no configuration or
    # origin error.
    assert {json.loads(line["message"])["event"] for line in probe["logs"]} == {"mcp_request"}
    assert probe["health"] == 200
    services = json.loads(bindings["SERVICES"])
    assert probe["services"] == {
        service: {"status": 200, "originPath": f"/{service}/mcp", "client": "alice"} for service in services
    }
    assert probe["unknownService"] == 404
