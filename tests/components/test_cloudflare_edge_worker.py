"""EdgeWorker under mocks: the worker's bundle uploaded as built, bindings from the catalog, secrets kept secret."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pytest

from components.cloudflare.edge_worker import EdgeWorker, EdgeWorkerArgs
from components.render.edge_worker import (
    AuthorizationServer,
    ClientScope,
    OAuthServer,
    token_hashes_text,
    worker_source,
)
from infra.mock_runtime import SECRET_SIG, Evaluation, evaluate
from infra.settings import EdgeSettings
from infra.stack_files import PROJECT_DIR

TOKEN_HASHES = {"alice": "a" * 64, "ci": "c" * 64}
SERVICES = ("everything", "memory")
DEFAULTS = EdgeSettings()


def build(**overrides: Any) -> tuple[Evaluation, list[str]]:
    public_urls: list[str] = []

    def program() -> None:
        fields: dict[str, Any] = {
            "account_id": "0123456789abcdef0123456789abcdef",
            "zone_id": "fedcba9876543210fedcba9876543210",
            "hostname": "mcp.example.com",
            "origin_host": "ingress.example.com",
            "services": SERVICES,
            "script_name": "mcp-test-edge",
            "worker_source": worker_source(),
            "compatibility_date": "2026-04-26",
            "client_token_hashes": pulumi.Output.secret(token_hashes_text(TOKEN_HASHES)),
            "allowed_origins": ("https://console.example.com",),
            # The component has no defaults of its own: settings hold them.
            "max_body_bytes": DEFAULTS.max_body_bytes,
            "keepalive_seconds": DEFAULTS.keepalive_seconds,
            "requests_per_period": DEFAULTS.rate_limit.requests_per_period,
            "period_seconds": DEFAULTS.rate_limit.period_seconds,
            "mitigation_seconds": DEFAULTS.rate_limit.mitigation_seconds,
            "token_store": DEFAULTS.token_store,
            "client_scopes": {},
            "oauth": None,
            "client_requests_per_period": DEFAULTS.client_rate_limit.requests_per_period,
            "client_period_seconds": DEFAULTS.client_rate_limit.period_seconds,
            "protect": False,
            # Outputs can only be made inside the program: such overrides come as functions that make them.
            **{key: value() if callable(value) else value for key, value in overrides.items()},
        }
        edge = EdgeWorker("edge", EdgeWorkerArgs(**fields))
        edge.public_url.apply(public_urls.append)

    return evaluate("test", {}, frozenset(), program), public_urls


def unwrap_secret(value: Any) -> Any:
    assert isinstance(value, dict) and value.get(SECRET_SIG), f"expected a secret, got {value!r}"
    return value["value"]


def test_registers_script_domain_subdomain_and_rate_limit_as_children() -> None:
    evaluation, public_urls = build()
    children = sorted((entry.type, entry.name) for entry in evaluation.children_of("edge"))
    assert children == [
        ("cloudflare:index/ruleset:Ruleset", "edge-rate-limit"),
        ("cloudflare:index/workersCustomDomain:WorkersCustomDomain", "edge-domain"),
        ("cloudflare:index/workersScript:WorkersScript", "edge-script"),
        ("cloudflare:index/workersScriptSubdomain:WorkersScriptSubdomain", "edge-workers-dev"),
    ]
    assert evaluation.named("edge").type == "mcp-suite:cloudflare:EdgeWorker"
    assert public_urls == ["https://mcp.example.com"]


def test_script_content_is_exactly_the_bundle_the_worker_tests_run() -> None:
    script = build()[0].named("edge-script").inputs
    assert script["content"] == (PROJECT_DIR / "edge" / "dist" / "worker.js").read_text(encoding="utf-8")
    assert script["mainModule"] == "worker.js"
    # The flag CIMD's fetches need (and which keeps every fetch of the worker on the public internet's way).
    assert script["compatibilityFlags"] == ["global_fetch_strictly_public"]
    assert script["compatibilityDate"] == "2026-04-26"
    assert script["scriptName"] == "mcp-test-edge"


def test_bindings_carry_the_catalog_and_the_token_hashes_as_a_secret() -> None:
    script = build()[0].named("edge-script")
    bindings = {binding["name"]: binding for binding in unwrap_secret(script.wire_inputs["bindings"])}
    assert json.loads(bindings["SERVICES"]["text"]) == list(SERVICES)
    assert bindings["ORIGIN_HOST"] == {"name": "ORIGIN_HOST", "type": "plain_text", "text": "ingress.example.com"}
    assert bindings["ORIGIN_SCHEME"]["text"] == "https"
    assert bindings["PUBLIC_HOSTNAME"]["text"] == "mcp.example.com"
    assert json.loads(bindings["ALLOWED_ORIGINS"]["text"]) == ["https://console.example.com"]
    assert bindings["TOKEN_HASHES"]["type"] == "secret_text"
    assert json.loads(bindings["TOKEN_HASHES"]["text"]) == TOKEN_HASHES
    assert "TOKENS_KV" not in bindings


def test_secrets_never_appear_in_plain_inputs() -> None:
    evaluation = build()[0]
    plain = json.dumps([entry.as_json() for entry in evaluation.registrations])
    for digest in TOKEN_HASHES.values():
        assert digest not in plain


def test_custom_domain_serves_the_script_and_the_rate_limit_guards_the_hostname() -> None:
    evaluation = build(requests_per_period=120, period_seconds=10, mitigation_seconds=10)[0]
    domain = evaluation.named("edge-domain").inputs
    assert domain == {
        "accountId": "0123456789abcdef0123456789abcdef",
        "hostname": "mcp.example.com",
        "service": "mcp-test-edge",
        "zoneId": "fedcba9876543210fedcba9876543210",
    }
    subdomain = evaluation.named("edge-workers-dev").inputs
    assert (subdomain["enabled"], subdomain["previewsEnabled"]) == (False, False)
    ruleset = evaluation.named("edge-rate-limit").inputs
    assert (ruleset["kind"], ruleset["phase"], ruleset["zoneId"]) == ("zone", "http_ratelimit", domain["zoneId"])
    [rule] = ruleset["rules"]
    assert rule["expression"] == '(http.host eq "mcp.example.com")'
    assert rule["ratelimit"] == {
        "characteristics": ["cf.colo.id", "ip.src"],
        "period": 10,
        "requestsPerPeriod": 120,
        "mitigationTimeout": 10,
    }


def test_token_store_adds_a_protected_kv_namespace_bound_to_the_script() -> None:
    evaluation = build(token_store=True, protect=True)[0]
    store = evaluation.named("edge-tokens")
    assert store.type == "cloudflare:index/workersKvNamespace:WorkersKvNamespace"
    assert store.inputs == {"accountId": "0123456789abcdef0123456789abcdef", "title": "mcp-test-edge-tokens"}
    assert store.options["protect"] and store.options["retainOnDelete"]
    bindings = unwrap_secret(evaluation.named("edge-script").wire_inputs["bindings"])
    assert {"name": "TOKENS_KV", "type": "kv_namespace", "namespaceId": "edge-tokens-id"} in bindings


def test_client_scopes_become_a_binding_and_workers_logs_keep_every_audit_record() -> None:
    scopes = {"ci": ClientScope(services=("everything",), tools={"everything": ("echo",)})}
    script = build(client_scopes=scopes)[0].named("edge-script")
    bindings = {binding["name"]: binding for binding in unwrap_secret(script.wire_inputs["bindings"])}
    assert bindings["CLIENT_SCOPES"]["type"] == "plain_text"
    assert json.loads(bindings["CLIENT_SCOPES"]["text"]) == {
        "ci": {"services": ["everything"], "tools": {"everything": ["echo"]}}
    }
    assert script.inputs["observability"] == {
        "enabled": True,
        "headSamplingRate": 1,
        "logs": {"enabled": True, "invocationLogs": True, "headSamplingRate": 1},
    }
    assert "CLIENT_SCOPES" not in {
        binding["name"] for binding in unwrap_secret(build()[0].named("edge-script").wire_inputs["bindings"])
    }


def test_an_authorization_server_becomes_the_oauth_bindings() -> None:
    oauth = OAuthServer(issuer="https://id.example.com", jwks_uri="https://id.example.com/jwks")
    script = build(oauth=oauth)[0].named("edge-script")
    bindings = {binding["name"]: binding for binding in unwrap_secret(script.wire_inputs["bindings"])}
    assert bindings["OAUTH_ISSUER"] == {"name": "OAUTH_ISSUER", "type": "plain_text", "text": "https://id.example.com"}
    assert bindings["OAUTH_JWKS_URI"]["text"] == "https://id.example.com/jwks"


UPSTREAM_SECRET = "upstream-client-secret-value"
AUTHORIZATION_SERVER = AuthorizationServer(
    upstream_issuer="https://id.example.com",
    client_id="mcp-edge",
    scopes=("openid",),
    client_id_metadata_documents=True,
    dynamic_client_registration=True,
    access_token_ttl_seconds=3600,
)


def test_the_authorization_server_gets_a_protected_kv_namespace_and_its_secret_as_a_secret() -> None:
    evaluation = build(
        authorization_server=AUTHORIZATION_SERVER,
        upstream_client_secret=lambda: pulumi.Output.secret(UPSTREAM_SECRET),
        protect=True,
    )[0]
    store = evaluation.named("edge-oauth")
    assert store.type == "cloudflare:index/workersKvNamespace:WorkersKvNamespace"
    assert store.inputs == {"accountId": "0123456789abcdef0123456789abcdef", "title": "mcp-test-edge-oauth"}
    assert store.options["protect"] and store.options["retainOnDelete"]
    bindings = {b["name"]: b for b in unwrap_secret(evaluation.named("edge-script").wire_inputs["bindings"])}
    assert bindings["OAUTH_KV"] == {"name": "OAUTH_KV", "type": "kv_namespace", "namespaceId": "edge-oauth-id"}
    assert bindings["UPSTREAM_CLIENT_SECRET"] == {
        "name": "UPSTREAM_CLIENT_SECRET",
        "type": "secret_text",
        "text": UPSTREAM_SECRET,
    }
    assert json.loads(bindings["AUTHORIZATION_SERVER"]["text"])["upstreamIssuer"] == "https://id.example.com"
    plain = json.dumps([entry.as_json() for entry in evaluation.registrations])
    assert UPSTREAM_SECRET not in plain


def test_without_an_authorization_server_there_is_no_oauth_store() -> None:
    evaluation = build()[0]
    assert "edge-oauth" not in {entry.name for entry in evaluation.registrations}
    names = {b["name"] for b in unwrap_secret(evaluation.named("edge-script").wire_inputs["bindings"])}
    assert not names & {"AUTHORIZATION_SERVER", "UPSTREAM_CLIENT_SECRET", "OAUTH_KV"}


def test_an_authorization_server_without_its_upstream_secret_is_refused() -> None:
    with pytest.raises(Exception, match="upstream_client_secret is required"):
        build(authorization_server=AUTHORIZATION_SERVER)
