"""The edge's own authorization server per stack: its protected store, its bindings, its secret kept secret."""

from __future__ import annotations

import json
from typing import Any

from infra.stack_files import read_stack_config
from tests.helpers.secrets import unwrap_secret
from tests.helpers.stacks import REQUIRED_SECRET_KEYS, REQUIRED_SECRETS, evaluate_stack

OWN_SERVER = {"upstreamIssuer": "https://id.example.com", "clientId": "mcp-edge", "scopes": ["openid", "email"]}
UPSTREAM_SECRET = "test-upstream-client-secret"


def with_server(stack: str, **secrets: Any) -> dict[str, Any]:
    edge = json.loads(read_stack_config(stack).values["mcp-suite:edge"])
    return {
        **REQUIRED_SECRETS,
        "edge": {**edge, "authorizationServer": OWN_SERVER},
        "edgeSecrets": {**REQUIRED_SECRETS["edgeSecrets"], **secrets},
    }


def test_prod_keeps_the_oauth_store_and_binds_it_with_the_upstream_secret_as_a_secret() -> None:
    evaluation = evaluate_stack(
        "prod",
        overrides=with_server("prod", upstreamClientSecret=UPSTREAM_SECRET),
        secret_keys=REQUIRED_SECRET_KEYS,
        placeholder_secrets=False,
    )
    store = evaluation.named("edge-oauth")
    assert store.inputs["title"] == "mcp-prod-edge-oauth"
    assert store.options["protect"] and store.options["retainOnDelete"]
    script = evaluation.named("edge-script")
    assert script.inputs["compatibilityFlags"] == ["global_fetch_strictly_public"]
    bindings = {b["name"]: b for b in unwrap_secret(script.wire_inputs["bindings"])}
    assert json.loads(bindings["AUTHORIZATION_SERVER"]["text"]) == {
        "accessTokenTtlSeconds": 3600,
        "clientId": "mcp-edge",
        "clientIdMetadataDocuments": True,
        "dynamicClientRegistration": True,
        "scopes": ["openid", "email"],
        "upstreamIssuer": "https://id.example.com",
    }
    assert bindings["UPSTREAM_CLIENT_SECRET"]["type"] == "secret_text"
    assert bindings["OAUTH_KV"]["namespaceId"] == "edge-oauth-id"
    plain = json.dumps([entry.as_json() for entry in evaluation.registrations])
    assert UPSTREAM_SECRET not in plain


def test_a_render_binds_the_authorization_server_with_a_placeholder_secret() -> None:
    evaluation = evaluate_stack("staging", overrides=with_server("staging"), secret_keys=REQUIRED_SECRET_KEYS)
    bindings = {b["name"] for b in unwrap_secret(evaluation.named("edge-script").wire_inputs["bindings"])}
    assert {"AUTHORIZATION_SERVER", "UPSTREAM_CLIENT_SECRET", "OAUTH_KV"} <= bindings
    assert evaluation.named("edge-oauth").inputs["title"] == "mcp-staging-edge-oauth"
