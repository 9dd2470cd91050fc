"""Edge settings: complete when enabled, only on the kubernetes target, secrets only as secrets."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra.settings import SECRET_PLACEHOLDER, SettingsError, load_settings
from infra.stack_files import read_stack_config

STAGING = read_stack_config("staging").values
EDGE = json.loads(STAGING["mcp-suite:edge"])
HASH_A = "a" * 64
HASH_B = "b" * 64
SECRETS = {"cloudflareApiToken": "cf-api-token-value", "clientTokenHashes": {"alice": HASH_A, "ci": HASH_B}}
SECRET_KEYS = frozenset({"mcp-suite:edgeSecrets"})


def raw(edge: dict[str, Any] | None = None, secrets: dict[str, Any] | None = None, **other: Any) -> dict[str, str]:
    # Monitoring and backups off: their own secrets are covered by their own tests.
    values = {
        **STAGING,
        "mcp-suite:monitoring": json.dumps({"enabled": False}),
        "mcp-suite:backup": json.dumps({"enabled": False}),
    }
    values["mcp-suite:edge"] = json.dumps(EDGE if edge is None else edge)
    values["mcp-suite:edgeSecrets"] = json.dumps(SECRETS if secrets is None else secrets)
    for key, value in other.items():
        values[f"mcp-suite:{key}"] = value if isinstance(value, str) else json.dumps(value)
    return values


def problems(values: dict[str, str], secret_keys: frozenset[str] = SECRET_KEYS) -> list[str]:
    with pytest.raises(SettingsError) as caught:
        load_settings("staging", values, secret_keys)
    return [f"{p.path}: {p.message}" for p in caught.value.problems]


def test_a_complete_edge_loads_with_its_defaults() -> None:
    settings = load_settings("staging", raw(), SECRET_KEYS)
    edge = settings.edge
    assert edge.enabled and edge.hostname == "mcp-staging.example.com"
    assert (edge.max_body_bytes, edge.keepalive_seconds, edge.compatibility_date) == (1048576, 25, "2026-04-26")
    assert settings.edge_secrets.client_token_hashes == {"alice": HASH_A, "ci": HASH_B}
    assert settings.edge_secrets.cloudflare_api_token is not None
    assert "cf-api-token-value" not in repr(settings)


def test_the_origin_is_the_gateways_host_unless_set_to_the_same() -> None:
    settings = load_settings("staging", raw(), SECRET_KEYS)
    assert settings.edge_deployment is not None
    assert settings.edge_deployment.origin_host == settings.network.ingress_host == "mcp-origin.staging.example.com"
    same = load_settings("staging", raw({**EDGE, "originHost": "mcp-origin.staging.example.com"}), SECRET_KEYS)
    assert same.edge_deployment is not None and same.edge_deployment.origin_host == "mcp-origin.staging.example.com"


def test_an_origin_that_no_gateway_route_answers_is_refused_naming_both_keys() -> None:
    # What the example stack files used to say: the edge forwarded to a host the Ingress rules never matched.
    assert problems(raw({**EDGE, "originHost": "ingress-staging.example.com"})) == [
        "edge.originHost: is 'ingress-staging.example.com', but network.ingressHost, the only host the gateway "
        "answers, is 'mcp-origin.staging.example.com': every request the edge forwards would match no route. "
        "Remove edge.originHost (it defaults to network.ingressHost) or set the two to the same host"
    ]
    same_as_edge = raw(network={"ingressHost": EDGE["hostname"], "tls": {"clusterIssuer": "letsencrypt-staging"}})
    assert problems(same_as_edge) == [
        "network.ingressHost: is edge.hostname 'mcp-staging.example.com' too, so the edge would forward to itself; "
        "give the gateway its own origin hostname"
    ]


BAD_EDGE = [
    pytest.param(
        {"enabled": True, "hostname": "mcp.example.com"},
        ["edge: the edge is enabled, so set accountId, zoneId"],
        id="incomplete",
    ),
    pytest.param(
        {**EDGE, "accountId": "my-account"},
        ["edge.accountId: String should match pattern '^[0-9a-f]{32}$' (got 'my-account')"],
        id="account-id-not-hex",
    ),
    pytest.param(
        {**EDGE, "originHost": EDGE["hostname"]},
        ["edge: hostname and originHost must differ: the worker would forward to itself"],
        id="origin-is-edge",
    ),
    pytest.param(
        {**EDGE, "hostname": "https://mcp.example.com/"},
        [
            "edge.hostname: String should match pattern "
            "'^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$' (got 'https://mcp.example.com/')"
        ],
        id="hostname-is-a-url",
    ),
    pytest.param(
        {**EDGE, "allowedOrigins": ["http://console.example.com"]},
        ["edge.allowedOrigins.0: String should match pattern"],
        id="plain-http-origin",
    ),
    pytest.param(
        {**EDGE, "keepaliveSeconds": 100},
        ["edge.keepaliveSeconds: Input should be less than or equal to 90 (got 100)"],
        id="keepalive-at-cloudflare-timeout",
    ),
    pytest.param(
        {**EDGE, "rateLimit": {"periodSeconds": 30}},
        ["edge.rateLimit.periodSeconds: Input should be 10, 60, 120, 300, 600 or 3600 (got 30)"],
        id="rate-limit-period",
    ),
    pytest.param(
        {**EDGE, "auth": False},
        ["edge.auth: unknown key; remove it"],
        id="no-switch-turns-auth-off",
    ),
]


@pytest.mark.parametrize(("edge", "expected"), BAD_EDGE)
def test_bad_edge_settings_are_named(edge: dict[str, Any], expected: list[str]) -> None:
    found = problems(raw(edge=edge))
    assert len(found) == len(expected), found
    for message, prefix in zip(found, expected, strict=True):
        assert message.startswith(prefix), message


def test_the_edge_needs_the_kubernetes_target() -> None:
    assert problems(raw(target="docker")) == [
        "edge.enabled: needs target 'kubernetes': the edge forwards to the cluster's public ingress"
    ]


def test_edge_secrets_must_be_set_as_secrets_and_are_not_echoed() -> None:
    found = problems(raw(), secret_keys=frozenset())
    assert found == [
        "edgeSecrets: holds plain-text values; set each one with "
        "`pulumi config set --secret --path edgeSecrets.<key> <value>`"
    ]
    assert "cf-api-token-value" not in " ".join(found)


def test_an_enabled_edge_needs_the_api_token_and_a_client() -> None:
    assert problems(raw(secrets={})) == [
        "edgeSecrets.cloudflareApiToken: missing; the edge is enabled, so set it with "
        "`pulumi config set --secret --path edgeSecrets.cloudflareApiToken <token>`",
        "edgeSecrets.clientTokenHashes: no client can authenticate; create a token and store its hash with "
        "`python -m infra edge-token --client <name>`",
    ]


def test_clients_may_live_only_in_the_token_store() -> None:
    settings = load_settings(
        "staging", raw(edge={**EDGE, "tokenStore": True}, secrets={"cloudflareApiToken": "t"}), SECRET_KEYS
    )
    assert settings.edge_secrets.client_token_hashes == {}


@pytest.mark.parametrize(
    ("hashes", "expected"),
    [
        ({"alice": "A" * 64}, "edgeSecrets.clientTokenHashes.alice: String should match pattern '^[0-9a-f]{64}$'"),
        ({"alice": "not-a-hash"}, "edgeSecrets.clientTokenHashes.alice: String should match pattern"),
        ({"bad name": HASH_A}, "edgeSecrets.clientTokenHashes.bad name: String should match pattern"),
        ({"alice": HASH_A, "bob": HASH_A}, "edgeSecrets.clientTokenHashes: alice, bob share one token"),
    ],
)
def test_client_token_hashes_are_checked(hashes: dict[str, str], expected: str) -> None:
    found = problems(raw(secrets={**SECRETS, "clientTokenHashes": hashes}))
    assert len(found) == 1 and found[0].startswith(expected), found


def test_render_stands_in_for_secrets_the_cli_would_decrypt() -> None:
    placeholder = "<placeholder: encrypted value, needs the Pulumi CLI to decrypt>"
    settings = load_settings(
        "staging",
        raw(secrets={"clientTokenHashes": {"alice": placeholder}}),
        SECRET_KEYS,
        placeholder_secrets=True,
    )
    token = settings.edge_secrets.cloudflare_api_token
    assert token is not None and token.get_secret_value() == SECRET_PLACEHOLDER
    assert len(settings.edge_secrets.client_token_hashes["alice"]) == 64


def test_dev_and_a_disabled_edge_need_nothing() -> None:
    for stack in ("dev",):
        values = {
            **read_stack_config(stack).values,
            "mcp-suite:monitoring": json.dumps({"enabled": False}),
            "mcp-suite:backup": json.dumps({"enabled": False}),
        }
        settings = load_settings(stack, values)
        assert not settings.edge.enabled


def test_client_scopes_load_and_default_to_none() -> None:
    assert load_settings("staging", raw(), SECRET_KEYS).edge.client_scopes == {}
    scoped = {**EDGE, "clientScopes": {"ci": {"services": ["everything"], "tools": {"everything": ["echo"]}}}}
    scope = load_settings("staging", raw(edge=scoped), SECRET_KEYS).edge.client_scopes["ci"]
    assert (scope.services, scope.tools) == (["everything"], {"everything": ["echo"]})


@pytest.mark.parametrize(
    ("scopes", "expected"),
    [
        (
            {"ci": {"services": ["everything"], "tools": {"memory": ["read_graph"]}}},
            "edge.clientScopes.ci: `tools` names memory, which `services` does not allow; add it there",
        ),
        (
            {"ci": {"services": ["nothing-here"]}},
            "edge.clientScopes.ci.services: 'nothing-here' is not an enabled service; known: ",
        ),
        (
            {"bob": {"services": ["everything"]}},
            "edge.clientScopes.bob: no client named 'bob' in edgeSecrets.clientTokenHashes; known: alice, ci",
        ),
        ({"ci": {"services": []}}, "edge.clientScopes.ci.services: List should have at least 1 item"),
        (
            {"ci": {"services": ["everything"], "tools": {"everything": []}}},
            "edge.clientScopes.ci.tools: `everything` lists no tools; name the ones the client may call, or leave "
            "`everything` out of `tools` to allow all of them (or out of `services` to allow none)",
        ),
        (
            {"ci": {"services": ["everything"], "tools": {"everything": ["echo", "add "]}}},
            "edge.clientScopes.ci.tools: `everything` lists 'add ', with spaces around it or control characters in "
            "it; write the name as the server's tools/list gives it, e.g. 'add'",
        ),
        (
            {"ci": {"services": ["everything"], "tools": {"everything": ["echo", "add", "echo"]}}},
            "edge.clientScopes.ci.tools: `everything` lists echo more than once; list each tool once",
        ),
        (
            {"ci": {"services": ["everything"], "tools": {"everything": "echo"}}},
            "edge.clientScopes.ci.tools.everything: Input should be a valid list",
        ),
        (
            # A misspelt name would hide the tool it meant, silently: it is checked against catalog-tools.json.
            {"ci": {"services": ["everything"], "tools": {"everything": ["echo", "get_sum"]}}},
            "edge.clientScopes.ci.tools.everything: 'get_sum' is not a tool of everything; catalog-tools.json "
            "records echo, get-annotated-message, get-env,",
        ),
    ],
    ids=[
        "tools-outside-services",
        "unknown-service",
        "unknown-client",
        "no-service",
        "no-tools",
        "spaced-tool",
        "repeated-tool",
        "tools-not-a-list",
        "misspelt-tool",
    ],
)
def test_client_scopes_that_name_nothing_real_are_refused(scopes: dict[str, Any], expected: str) -> None:
    found = problems(raw(edge={**EDGE, "clientScopes": scopes}))
    assert any(problem.startswith(expected) for problem in found), found


def test_an_authorization_server_is_named_by_https_urls_and_stands_in_for_static_tokens() -> None:
    oauth = {"issuer": "https://id.example.com", "jwksUri": "https://id.example.com/jwks"}
    settings = load_settings(
        "staging", raw(edge={**EDGE, "oauth": oauth}, secrets={"cloudflareApiToken": "t"}), SECRET_KEYS
    )
    assert settings.edge.oauth is not None
    assert (settings.edge.oauth.issuer, settings.edge.oauth.jwks_uri) == (oauth["issuer"], oauth["jwksUri"])
    found = problems(raw(edge={**EDGE, "oauth": {**oauth, "jwksUri": "http://id.example.com/jwks"}}))
    assert any(problem.startswith("edge.oauth.jwksUri: String should match pattern") for problem in found), found


def test_oauth_clients_are_scoped_by_their_client_id_without_a_token_hash() -> None:
    scoped = {**EDGE, "clientScopes": {"oauth:https://app.example/client.json": {"services": ["everything"]}}}
    scopes = load_settings("staging", raw(edge=scoped), SECRET_KEYS).edge.client_scopes
    assert list(scopes) == ["oauth:https://app.example/client.json"]
    assert problems(raw(edge={**EDGE, "clientScopes": {"oauth:": {"services": ["everything"]}}}))


def test_recorded_tools_only_needs_every_service_recorded() -> None:
    settings = load_settings("staging", raw({**EDGE, "recordedToolsOnly": True}), SECRET_KEYS)
    assert settings.edge.recorded_tools_only is True
    published = {"image": "ghcr.io/example/search:1.4.2", "transport": "streamable-http", "port": 8080}
    services = {**json.loads(read_stack_config("dev").values["mcp-suite:services"]), "search": published}
    assert problems(raw({**EDGE, "recordedToolsOnly": True}, services=services)) == [
        "edge.recordedToolsOnly: search has no tools in catalog-tools.json, so the edge would refuse every call to "
        "them: run `python -m infra tool-manifest` (it records the stdio servers the stacks deploy; a published "
        "image's tools are not recorded)"
    ]


OWN_SERVER = {"upstreamIssuer": "https://id.example.com", "clientId": "mcp-edge"}
UPSTREAM_SECRET = "upstream-client-secret-value"


def test_the_edges_own_authorization_server_loads_with_its_defaults_and_keeps_its_secret_secret() -> None:
    secrets = {"cloudflareApiToken": "t", "upstreamClientSecret": UPSTREAM_SECRET}
    settings = load_settings("staging", raw({**EDGE, "authorizationServer": OWN_SERVER}, secrets), SECRET_KEYS)
    server = settings.edge.authorization_server
    assert server is not None
    assert (server.upstream_issuer, server.client_id, server.scopes) == (
        "https://id.example.com",
        "mcp-edge",
        ["openid"],
    )
    assert (server.client_id_metadata_documents, server.dynamic_client_registration) == (True, True)
    assert server.access_token_ttl_seconds == 3600
    upstream = settings.edge_secrets.upstream_client_secret
    assert upstream is not None and upstream.get_secret_value() == UPSTREAM_SECRET
    # No static client is needed: OAuth clients register themselves.
    assert settings.edge_secrets.client_token_hashes == {}
    assert UPSTREAM_SECRET not in repr(settings)


@pytest.mark.parametrize(
    ("server", "secrets", "expected"),
    [
        (
            OWN_SERVER,
            {"cloudflareApiToken": "t"},
            "edgeSecrets.upstreamClientSecret: missing; edge.authorizationServer signs users in with the client the "
            "OpenID provider registered for the edge, so set its secret with `pulumi config set --secret --path "
            "edgeSecrets.upstreamClientSecret <client secret>`",
        ),
        (
            {**OWN_SERVER, "scopes": ["email"]},
            {"cloudflareApiToken": "t", "upstreamClientSecret": "s"},
            "edge.authorizationServer.scopes: must include openid: the edge learns who signed in from the "
            "provider's ID token",
        ),
        (
            {**OWN_SERVER, "upstreamIssuer": "http://id.example.com"},
            {"cloudflareApiToken": "t", "upstreamClientSecret": "s"},
            "edge.authorizationServer.upstreamIssuer: String should match pattern",
        ),
        (
            {**OWN_SERVER, "accessTokenTtlSeconds": 30},
            {"cloudflareApiToken": "t", "upstreamClientSecret": "s"},
            "edge.authorizationServer.accessTokenTtlSeconds: Input should be greater than or equal to 300",
        ),
        (
            {**OWN_SERVER, "clientSecret": "in plain text"},
            {"cloudflareApiToken": "t", "upstreamClientSecret": "s"},
            "edge.authorizationServer.clientSecret: unknown key",
        ),
    ],
)
def test_a_bad_authorization_server_is_named_with_the_fix(
    server: dict[str, Any], secrets: dict[str, Any], expected: str
) -> None:
    found = problems(raw({**EDGE, "authorizationServer": server}, secrets))
    assert any(problem.startswith(expected) for problem in found), found


def test_the_edge_is_its_own_authorization_server_or_uses_another_not_both() -> None:
    oauth = {"issuer": "https://id.example.com", "jwksUri": "https://id.example.com/jwks"}
    edge = {**EDGE, "oauth": oauth, "authorizationServer": OWN_SERVER}
    found = problems(raw(edge, {"cloudflareApiToken": "t", "upstreamClientSecret": "s"}))
    assert found == [
        "edge: set oauth (an external authorization server issues the tokens) or authorizationServer (the edge "
        "issues them), not both: each service's metadata names one authorization server"
    ]


def test_render_stands_in_for_the_upstream_secret() -> None:
    settings = load_settings(
        "staging", raw({**EDGE, "authorizationServer": OWN_SERVER}, {}), SECRET_KEYS, placeholder_secrets=True
    )
    upstream = settings.edge_secrets.upstream_client_secret
    assert upstream is not None and upstream.get_secret_value() == SECRET_PLACEHOLDER
