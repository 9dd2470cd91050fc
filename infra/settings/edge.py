"""The `edge` and `edgeSecrets` sections: the Cloudflare Worker in front of the cluster."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, field_validator, model_validator

from components.spec import SpecModel
from infra.settings.keys import ConfigValues
from infra.settings.patterns import (
    BROWSER_ORIGIN,
    CLIENT_NAME,
    CLOUDFLARE_ID,
    PUBLIC_HOSTNAME,
    SECRET_PLACEHOLDER,
    SHA256_HEX,
)
from infra.settings.problems import Problem

# A static client's name, or an OAuth client as the worker names it: `oauth:` and its client_id (which a Client ID
# Metadata Document makes a URL).
SCOPED_CLIENT = rf"^({CLIENT_NAME[1:-1]}|oauth:[\x21-\x7e]{{1,255}})$"

# The Workers runtime release the worker's tests run on (edge/package.json); newer dates are untested.
DEFAULT_COMPATIBILITY_DATE = "2026-04-26"


class RateLimitSettings(SpecModel):
    """Cloudflare rate limiting rule in front of the worker, counted per client IP and Cloudflare data center."""

    requests_per_period: Annotated[int, Field(ge=1, le=1_000_000)] = 600
    """Requests one client IP may make per period before it is blocked."""
    period_seconds: Literal[10, 60, 120, 300, 600, 3600] = 60
    """Counting period; the Free plan allows only 10."""
    mitigation_seconds: Literal[0, 10, 60, 120, 300, 600, 3600, 86400] = 60
    """How long a client IP over the limit stays blocked; the Free plan allows only 10."""


class ClientRateLimitSettings(SpecModel):
    """Workers rate limiting per client name, in the worker, after authentication (beside the zone's per-IP rule)."""

    requests_per_period: Annotated[int, Field(ge=1, le=1_000_000)] = 300
    """Requests one client may make per period, counted per Cloudflare location; more get 429."""
    period_seconds: Literal[10, 60] = 60
    """Counting period; the Workers rate limiting binding takes 10 or 60."""


HttpsUrl = Annotated[str, Field(pattern=r"^https://[^\s/?#]+(/[^\s?#]*)?$", max_length=2048)]


class OAuthSettings(SpecModel):
    """An OAuth 2.1 authorization server (an OpenID provider) whose access tokens the edge accepts."""

    issuer: HttpsUrl
    """Its issuer identifier, exactly as its metadata and its tokens' `iss` say."""
    jwks_uri: HttpsUrl
    """Where it publishes the keys it signs access tokens with (its metadata's `jwks_uri`)."""


# RFC 6749 scope-token; the upstream provider's client ids are visible ASCII.
ScopeName = Annotated[str, Field(pattern=r"^[\x21\x23-\x5b\x5d-\x7e]{1,128}$")]
UpstreamClientId = Annotated[str, Field(pattern=r"^[\x21-\x7e]{1,255}$")]


class AuthorizationServerSettings(SpecModel):
    """The edge as an OAuth 2.1 authorization server itself, signing users in at an upstream OpenID provider."""

    upstream_issuer: HttpsUrl
    """The OpenID provider's issuer, exactly as its `/.well-known/openid-configuration` says; the worker reads its
    endpoints and keys from there."""
    client_id: UpstreamClientId
    """The client id the provider gave the edge; its redirect URI there is `https://<hostname>/oauth/callback`
    and its secret is `edgeSecrets.upstreamClientSecret`."""
    scopes: Annotated[list[ScopeName], Field(min_length=1)] = Field(default_factory=lambda: ["openid"])
    """Scopes asked of the provider at sign-in; must include `openid`. The ID token's `sub` names the user."""
    client_id_metadata_documents: bool = True
    """Accept MCP clients that identify themselves by a Client ID Metadata Document URL (the MCP default)."""
    dynamic_client_registration: bool = True
    """Also let clients register themselves (RFC 7591), for MCP clients older than CIMD."""
    access_token_ttl_seconds: Annotated[int, Field(ge=300, le=86400)] = 3600
    """Lifetime of the access tokens the edge issues; clients renew them with their refresh token."""

    @field_validator("scopes")
    @classmethod
    def _openid(cls, value: list[str]) -> list[str]:
        if "openid" not in value:
            raise ValueError("must include openid: the edge learns who signed in from the provider's ID token")
        return value


ToolName = Annotated[str, Field(min_length=1, max_length=128)]


class ClientScope(SpecModel):
    """What one client may call through the edge: services, and optionally only some tools of them."""

    services: Annotated[list[str], Field(min_length=1)]
    """Catalog services the client may use; any other gets 403."""
    tools: dict[str, list[ToolName]] = Field(default_factory=dict)
    """Per service, the only tools the client sees (`tools/list`) and may call; a call to any other gets the
    service's answer for a tool it does not have. A service left out allows every tool."""

    @field_validator("tools")
    @classmethod
    def _tool_lists_name_tools(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for service, tools in value.items():
            if not tools:
                raise ValueError(
                    f"`{service}` lists no tools; name the ones the client may call, or leave `{service}` out of "
                    "`tools` to allow all of them (or out of `services` to allow none)"
                )
            for name in tools:
                if name != name.strip() or not name.isprintable():
                    raise ValueError(
                        f"`{service}` lists {name!r}, with spaces around it or control characters in it; write "
                        f"the name as the server's tools/list gives it, e.g. {name.strip()!r}"
                    )
            repeated = sorted({name for name in tools if tools.count(name) > 1})
            if repeated:
                raise ValueError(f"`{service}` lists {', '.join(repeated)} more than once; list each tool once")
        return value

    @model_validator(mode="after")
    def _tools_of_allowed_services(self) -> ClientScope:
        outside = sorted(set(self.tools) - set(self.services))
        if outside:
            raise ValueError(f"`tools` names {', '.join(outside)}, which `services` does not allow; add it there")
        return self


class EdgeSettings(SpecModel):
    """Cloudflare Worker in front of the suite (staging, prod): TLS, one hostname, auth, rate limiting."""

    enabled: bool = False
    """Deploy the edge; needs the `kubernetes` target, whose Gateway is the origin (locked by `network.originLock`)."""
    account_id: Annotated[str, Field(pattern=CLOUDFLARE_ID)] | None = None
    """Cloudflare account id (32 hex digits, on the dashboard's account home)."""
    zone_id: Annotated[str, Field(pattern=CLOUDFLARE_ID)] | None = None
    """Id of the Cloudflare zone that holds `hostname`."""
    hostname: Annotated[str, Field(pattern=PUBLIC_HOSTNAME, max_length=253)] | None = None
    """Public hostname clients use: `https://<hostname>/<service>/mcp`."""
    origin_host: Annotated[str, Field(pattern=PUBLIC_HOSTNAME, max_length=253)] | None = None
    """Hostname of the cluster's Gateway, reached over HTTPS at `/<service>/mcp` through the origin lock. Unset:
    the stack's `network.ingressHost`, the one host the gateway answers; set, it must be that host."""
    allowed_origins: list[Annotated[str, Field(pattern=BROWSER_ORIGIN)]] = Field(default_factory=list)
    """Browser origins (`https://host[:port]`) allowed by CORS; requests from any other origin get 403."""
    max_body_bytes: Annotated[int, Field(ge=1024, le=100 * 1024 * 1024)] = 1024 * 1024
    """Largest request body forwarded; bigger ones get 413."""
    keepalive_seconds: Annotated[int, Field(ge=5, le=90)] = 25
    """Idle seconds before a keep-alive comment on an SSE stream; below Cloudflare's 100 s read timeout."""
    rate_limit: RateLimitSettings = Field(default_factory=RateLimitSettings)
    """Rate limiting rule of the zone."""
    client_rate_limit: ClientRateLimitSettings = Field(default_factory=ClientRateLimitSettings)
    """Rate limit per client, in the worker."""
    compatibility_date: Annotated[str, Field(pattern=r"^20[0-9]{2}-[01][0-9]-[0-3][0-9]$")] = DEFAULT_COMPATIBILITY_DATE
    """Workers runtime compatibility date of the script."""
    token_store: bool = False
    """Also accept client tokens whose hashes are keys of a Workers KV namespace, managed outside Pulumi."""
    oauth: OAuthSettings | None = None
    """Also accept this authorization server's JWT access tokens, each only for the service URL it was issued
    for (RFC 8707); static tokens keep working. Unset: static tokens only."""
    authorization_server: AuthorizationServerSettings | None = None
    """Be the services' OAuth authorization server: register MCP clients (CIMD, DCR), sign users in at the
    upstream OpenID provider, issue tokens each only for one service. Not with `oauth`. Unset: none."""
    recorded_tools_only: bool = False
    """Refuse calls to tools that catalog-tools.json does not record for the service: a server update that adds a
    tool cannot expose it before the manifest, and its review, catch up."""
    client_scopes: dict[Annotated[str, Field(pattern=SCOPED_CLIENT)], ClientScope] = Field(default_factory=dict)
    """Client name -> what it may call: a static client's name, or `oauth:<client_id>` for an OAuth client.
    Empty: every client may call everything. Set: a client without an entry may call nothing, so a misspelt
    name fails closed."""

    @model_validator(mode="after")
    def _complete_when_enabled(self) -> EdgeSettings:
        if self.enabled:
            missing = [
                alias
                for alias, value in (
                    ("accountId", self.account_id),
                    ("zoneId", self.zone_id),
                    ("hostname", self.hostname),
                )
                if value is None
            ]
            if missing:
                raise ValueError(f"the edge is enabled, so set {', '.join(missing)}")
            if self.hostname == self.origin_host:
                raise ValueError("hostname and originHost must differ: the worker would forward to itself")
        if self.oauth is not None and self.authorization_server is not None:
            raise ValueError(
                "set oauth (an external authorization server issues the tokens) or authorizationServer (the edge "
                "issues them), not both: each service's metadata names one authorization server"
            )
        return self


def recorded_tools_problems(edge: EdgeSettings, unrecorded: list[str]) -> list[Problem]:
    """With `recordedToolsOnly`, every service needs its tools recorded, or none of them could be called."""
    if not edge.enabled or not edge.recorded_tools_only or not unrecorded:
        return []
    return [
        Problem(
            path="edge.recordedToolsOnly",
            message=f"{', '.join(unrecorded)} {'has' if len(unrecorded) == 1 else 'have'} no tools in "
            "catalog-tools.json, so the edge would refuse every call to them: run `python -m infra tool-manifest` "
            "(it records the stdio servers the stacks deploy; a published image's tools are not recorded)",
        )
    ]


def scope_tool_problems(edge: EdgeSettings, recorded: Mapping[str, list[str]]) -> list[Problem]:
    """Tools a scope names that its service's recorded tools (catalog-tools.json) lack: a misspelt name would hide
    the tool it meant from the client, silently. A service whose tools are not recorded is not checked."""
    return [
        Problem(
            path=f"edge.clientScopes.{client}.tools.{service}",
            message=f"'{name}' is not a tool of {service}; catalog-tools.json records {', '.join(recorded[service])}",
        )
        for client, scope in edge.client_scopes.items()
        for service, tools in scope.tools.items()
        if service in recorded
        for name in tools
        if name not in recorded[service]
    ]


def origin_problems(edge: EdgeSettings, ingress_host: str | None) -> list[Problem]:
    """The edge forwards to the one host the gateway answers: `network.ingressHost`."""
    if not edge.enabled or ingress_host is None:
        return []
    if edge.origin_host is not None and edge.origin_host != ingress_host:
        return [
            Problem(
                path="edge.originHost",
                message=f"is '{edge.origin_host}', but network.ingressHost, the only host the gateway answers, is "
                f"'{ingress_host}': every request the edge forwards would match no route. Remove edge.originHost "
                "(it defaults to network.ingressHost) or set the two to the same host",
            )
        ]
    if edge.origin_host is None and edge.hostname == ingress_host:
        return [
            Problem(
                path="network.ingressHost",
                message=f"is edge.hostname '{ingress_host}' too, so the edge would forward to itself; give the "
                "gateway its own origin hostname",
            )
        ]
    return []


class EdgeSecrets(SpecModel):
    """Secrets of the edge, from the `edgeSecrets` config secret."""

    cloudflare_api_token: SecretStr | None = None
    """API token the Cloudflare provider deploys with."""
    client_token_hashes: dict[Annotated[str, Field(pattern=CLIENT_NAME)], Annotated[str, Field(pattern=SHA256_HEX)]] = (
        Field(default_factory=dict)
    )
    """Client name -> SHA-256 (lowercase hex) of the client's bearer token."""
    upstream_client_secret: SecretStr | None = None
    """The edge's client secret at the upstream OpenID provider (with `edge.authorizationServer`)."""

    @field_validator("client_token_hashes")
    @classmethod
    def _one_token_per_client(cls, value: dict[str, str]) -> dict[str, str]:
        shared = sorted(name for name, digest in value.items() if list(value.values()).count(digest) > 1)
        if shared:
            raise ValueError(f"{', '.join(shared)} share one token; give every client its own")
        return value


class EdgeDeployment(SpecModel):
    """An enabled edge with everything settings require of it present: what the Cloudflare composition needs."""

    account_id: str
    zone_id: str
    hostname: str
    origin_host: str
    cloudflare_api_token: SecretStr
    upload_bundle: bool = True
    """Upload the worker's bundle (edge/dist/worker.js, which must then be built); False in a credential-free
    render, whose script content stands in for it by the digest of the bundle's inputs."""


def edge_deployment(
    edge: EdgeSettings, secrets: EdgeSecrets, ingress_host: str | None, placeholder_secrets: bool = False
) -> EdgeDeployment | None:
    """The narrowed edge, or None when it is off (or incomplete, which settings report as problems). Its origin
    is the gateway's host, `ingress_host`, unless `originHost` says otherwise (which `origin_problems` refuses).
    A render with placeholder secrets deploys nothing, so it needs no built bundle."""
    if not edge.enabled or secrets.cloudflare_api_token is None:
        return None
    origin_host = edge.origin_host or ingress_host
    if edge.account_id is None or edge.zone_id is None or edge.hostname is None or origin_host is None:
        return None
    return EdgeDeployment(
        account_id=edge.account_id,
        zone_id=edge.zone_id,
        hostname=edge.hostname,
        origin_host=origin_host,
        cloudflare_api_token=secrets.cloudflare_api_token,
        upload_bundle=not placeholder_secrets,
    )


def edge_secrets(
    config: ConfigValues, target_serves_edge: bool, placeholder_secrets: bool
) -> tuple[dict[str, Any], list[Problem]]:
    """`edgeSecrets` as given, checked to be a secret and complete when the edge is enabled (on kubernetes)."""
    given, problems = config.secrets("edgeSecrets", "<key>")
    edge = config.section("edge")
    if not (isinstance(edge, dict) and edge.get("enabled") is True):
        return given, problems
    if not target_serves_edge:
        problems.append(
            Problem(
                path="edge.enabled",
                message="needs target 'kubernetes': the edge forwards to the cluster's public ingress",
            )
        )
    if "cloudflareApiToken" not in given:
        if placeholder_secrets:
            given["cloudflareApiToken"] = SECRET_PLACEHOLDER
        else:
            problems.append(
                Problem(
                    path="edgeSecrets.cloudflareApiToken",
                    message="missing; the edge is enabled, so set it with "
                    "`pulumi config set --secret --path edgeSecrets.cloudflareApiToken <token>`",
                )
            )
    if isinstance(edge.get("authorizationServer"), dict) and "upstreamClientSecret" not in given:
        if placeholder_secrets:
            given["upstreamClientSecret"] = SECRET_PLACEHOLDER
        else:
            problems.append(
                Problem(
                    path="edgeSecrets.upstreamClientSecret",
                    message="missing; edge.authorizationServer signs users in with the client the OpenID provider "
                    "registered for the edge, so set its secret with `pulumi config set --secret --path "
                    "edgeSecrets.upstreamClientSecret <client secret>`",
                )
            )
    hashes = given.get("clientTokenHashes")
    if placeholder_secrets and isinstance(hashes, dict):
        # Values the CLI would decrypt are placeholders here; a stand-in digest keeps the render going.
        given["clientTokenHashes"] = {
            name: hashlib.sha256(value.encode()).hexdigest()
            if isinstance(value, str) and value.startswith("<placeholder:")
            else value
            for name, value in hashes.items()
        }
    other_clients = edge.get("tokenStore") or edge.get("oauth") or edge.get("authorizationServer")
    if not hashes and not placeholder_secrets and not other_clients:
        problems.append(
            Problem(
                path="edgeSecrets.clientTokenHashes",
                message="no client can authenticate; create a token and store its hash with "
                "`python -m infra edge-token --client <name>`",
            )
        )
    return given, problems


def client_scope_problems(edge: EdgeSettings, secrets: EdgeSecrets, services: list[str]) -> list[Problem]:
    """Scopes name enabled services, and clients that hold a token (unless tokens also come from the KV store)."""
    problems: list[Problem] = []
    for client, scope in edge.client_scopes.items():
        path = f"edge.clientScopes.{client}"
        problems += [
            Problem(
                path=f"{path}.services",
                message=f"'{name}' is not an enabled service; known: {', '.join(services) or 'none'}",
            )
            for name in scope.services
            if name not in services
        ]
        static = not client.startswith("oauth:")
        if (
            static
            and not edge.token_store
            and secrets.client_token_hashes
            and client not in secrets.client_token_hashes
        ):
            known = ", ".join(sorted(secrets.client_token_hashes))
            problems.append(
                Problem(
                    path=path, message=f"no client named '{client}' in edgeSecrets.clientTokenHashes; known: {known}"
                )
            )
    return problems
