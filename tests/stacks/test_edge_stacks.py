"""The edge per stack: staging and prod put the catalog behind Cloudflare, dev registers nothing of Cloudflare."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from components.render.edge_worker import rate_limit_namespace_id
from infra.stack_files import PROJECT_DIR, read_stack_config
from tests.helpers.secrets import unwrap_secret
from tests.helpers.stacks import KUBERNETES_STACKS, REQUIRED_SECRET_KEYS, REQUIRED_SECRETS, evaluate_stack

CATALOG = ["everything", "filesystem", "memory", "sequential-thinking"]
EDGE_SECRETS = {"cloudflareApiToken": "cf-api-token-value", "clientTokenHashes": {"alice": "a" * 64}}
STAGING_EDGE = json.loads(read_stack_config("staging").values["mcp-suite:edge"])


def test_dev_registers_no_cloudflare_resource_and_never_imports_the_sdk() -> None:
    evaluation = evaluate_stack("dev")
    assert not [e for e in evaluation.registrations if "cloudflare" in e.type.lower()]
    # A fresh interpreter, so no other test's import counts: dev must not pay pulumi_cloudflare's import time.
    probe = (
        "import sys\n"
        "from tests.helpers.stacks import evaluate_stack\n"
        "evaluate_stack('dev')\n"
        "print('pulumi_cloudflare' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=PROJECT_DIR, capture_output=True, text=True, timeout=120, check=True
    )
    assert result.stdout.strip() == "False"


@pytest.mark.parametrize("stack", KUBERNETES_STACKS)
def test_edge_routes_the_whole_catalog_to_the_stack_ingress(stack: str) -> None:
    evaluation = evaluate_stack(
        stack, overrides={"edgeSecrets": EDGE_SECRETS}, secret_keys=frozenset({"mcp-suite:edgeSecrets"})
    )
    assert evaluation.named("edge").type == "mcp-suite:cloudflare:EdgeWorker"
    script = evaluation.named("edge-script")
    assert script.inputs["scriptName"] == f"mcp-{stack}-edge"
    every = {b["name"]: b for b in unwrap_secret(script.wire_inputs["bindings"])}
    bindings = {name: b["text"] for name, b in every.items() if "text" in b}
    assert json.loads(bindings["SERVICES"]) == CATALOG
    # The one host the stack's ingress answers, so every forwarded request matches a route.
    ingress_host = "mcp-origin.staging.example.com" if stack == "staging" else "mcp-origin.example.com"
    assert bindings["ORIGIN_HOST"] == ingress_host
    assert bindings["PUBLIC_HOSTNAME"] == f"mcp-{stack}.example.com"
    assert bindings["ORIGIN_SCHEME"] == "https"
    assert json.loads(bindings["TOKEN_HASHES"]) == {"alice": "a" * 64}
    assert evaluation.named("edge-domain").inputs["hostname"] == f"mcp-{stack}.example.com"
    # Each client's own budget, with the settings' defaults, on a limiter of this stack's own.
    limiter = every["CLIENT_RATE_LIMIT"]
    assert (limiter["type"], limiter["simple"]) == ("ratelimit", {"limit": 300, "period": 60})
    assert limiter["namespaceId"] == rate_limit_namespace_id(f"mcp-{stack}-edge")


@pytest.mark.parametrize("stack", KUBERNETES_STACKS)
def test_the_api_token_reaches_the_provider_only_as_a_secret(stack: str) -> None:
    evaluation = evaluate_stack(
        stack,
        overrides={**REQUIRED_SECRETS, "edgeSecrets": EDGE_SECRETS},
        secret_keys=REQUIRED_SECRET_KEYS,
        placeholder_secrets=False,
    )
    provider = evaluation.named("cloudflare", "pulumi:providers:cloudflare")
    assert unwrap_secret(provider.wire_inputs["apiToken"]) == "cf-api-token-value"
    plain = json.dumps([entry.as_json() for entry in evaluation.registrations])
    assert "cf-api-token-value" not in plain
    assert "a" * 64 not in plain
    cloudflare = [e for e in evaluation.registrations if e.type.startswith("cloudflare:")]
    # Everything on Cloudflare belongs to the edge: its worker, or the tunnel the worker reaches the origin by.
    assert cloudflare and {e.parent for e in cloudflare} == {"edge", "origin-tunnel"}


def test_a_catalog_change_changes_the_routes() -> None:
    catalog = {"search": {"image": "ghcr.io/example/search:1.4.2", "transport": "streamable-http", "port": 8080}}
    evaluation = evaluate_stack("staging", overrides={"services": catalog, "serviceOverrides": {}})
    wire = unwrap_secret(evaluation.named("edge-script").wire_inputs["bindings"])
    bindings = {b["name"]: b["text"] for b in wire if "text" in b}
    assert json.loads(bindings["SERVICES"]) == ["search"]


def test_recorded_tools_only_hands_the_worker_the_reviewed_manifest() -> None:
    evaluation = evaluate_stack(
        "staging",
        overrides={"edgeSecrets": EDGE_SECRETS, "edge": {**STAGING_EDGE, "recordedToolsOnly": True}},
        secret_keys=frozenset({"mcp-suite:edgeSecrets"}),
    )
    every = {b["name"]: b for b in unwrap_secret(evaluation.named("edge-script").wire_inputs["bindings"])}
    recorded = json.loads(every["RECORDED_TOOLS"]["text"])
    manifest = json.loads((PROJECT_DIR / "catalog-tools.json").read_text())
    assert recorded["memory"] == sorted(t["name"] for t in manifest["@modelcontextprotocol/server-memory@2026.8.31"])
    assert sorted(recorded) == CATALOG
    plain = evaluate_stack(
        "staging", overrides={"edgeSecrets": EDGE_SECRETS}, secret_keys=frozenset({"mcp-suite:edgeSecrets"})
    )
    names = {b["name"] for b in unwrap_secret(plain.named("edge-script").wire_inputs["bindings"])}
    assert "RECORDED_TOOLS" not in names
