"""Pure renderers of the edge worker's deployment: its bundle, its bindings and its rate limiting rule.

The binding names are the contract with `edge/src/worker.js`, whose header comment documents each one.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    import pulumi
    from pulumi_cloudflare import RulesetRuleArgsDict, WorkersScriptBindingArgsDict, WorkersScriptObservabilityArgsDict

EDGE_DIR = Path(__file__).resolve().parents[2] / "edge"
WORKER_BUNDLE_PATH = EDGE_DIR / "dist" / "worker.js"
"""What edge/build.js writes: the worker and the npm modules it imports, one module (never committed)."""
BUNDLE_HEADER_PREFIX = "// mcp-suite edge bundle, inputs sha256:"
BUILD_COMMAND = "scripts/edge-build"
MAIN_MODULE = "worker.js"
COMPATIBILITY_FLAGS = ("global_fetch_strictly_public",)
"""The worker's fetches (client metadata documents, key sets, the upstream provider, the origin without an
ORIGIN binding) take the public internet's way, never a same-zone shortcut: what CIMD's SSRF protection needs."""
TOKEN_HASHES_BINDING = "TOKEN_HASHES"
TOKENS_KV_BINDING = "TOKENS_KV"
CLIENT_RATE_LIMIT_BINDING = "CLIENT_RATE_LIMIT"
AUTHORIZATION_SERVER_BINDING = "AUTHORIZATION_SERVER"
UPSTREAM_CLIENT_SECRET_BINDING = "UPSTREAM_CLIENT_SECRET"
OAUTH_KV_BINDING = "OAUTH_KV"
ORIGIN_BINDING = "ORIGIN"


class EdgeBundleError(Exception):
    """The worker bundle is missing or was built from other sources; the message names the command to run."""


@dataclass(frozen=True)
class ClientRateLimit:
    """The Workers rate limiting binding that counts each client's requests."""

    requests_per_period: int
    period_seconds: int
    namespace_id: str
    """The limiter's id, unique in the account (see `rate_limit_namespace_id`)."""


def rate_limit_namespace_id(script_name: str) -> str:
    """A positive integer id that stays the same for a script and differs between the stacks' scripts.

    Cloudflare leaves the number to the user; deriving it from the (account-unique) script name means no
    setting to keep unique by hand.
    """
    return str(int(hashlib.sha256(script_name.encode()).hexdigest()[:8], 16) + 1)


@dataclass(frozen=True)
class OriginBinding:
    """The worker's only way to the origin: a Workers VPC service (the cluster's tunnel) or the mTLS certificate
    it presents to a gateway that requires it."""

    kind: Literal["vpc_service", "mtls_certificate"]
    id: pulumi.Input[str]
    """The VPC service's id, or the uploaded mTLS certificate's id."""


@dataclass(frozen=True)
class AuthorizationServer:
    """The worker's own OAuth authorization server and the upstream OpenID provider it signs users in at."""

    upstream_issuer: str
    client_id: str
    scopes: tuple[str, ...]
    client_id_metadata_documents: bool
    dynamic_client_registration: bool
    access_token_ttl_seconds: int


def authorization_server_text(server: AuthorizationServer) -> str:
    """The AUTHORIZATION_SERVER binding: compact JSON with sorted keys (read by edge/src/authorization-server.js)."""
    return json.dumps(
        {
            "accessTokenTtlSeconds": server.access_token_ttl_seconds,
            "clientId": server.client_id,
            "clientIdMetadataDocuments": server.client_id_metadata_documents,
            "dynamicClientRegistration": server.dynamic_client_registration,
            "scopes": list(server.scopes),
            "upstreamIssuer": server.upstream_issuer,
        },
        separators=(",", ":"),
    )


@dataclass(frozen=True)
class AuthorizationServerStore:
    """What the worker's authorization server needs beyond its settings: the upstream client secret (a secret
    binding) and the KV namespace of its clients, grants and tokens."""

    upstream_client_secret: pulumi.Input[str]
    kv_namespace_id: pulumi.Input[str]


def upstream_redirect_uri(hostname: str) -> str:
    """Where the upstream provider sends users back to the edge: the redirect URI to register there."""
    return f"https://{hostname}/oauth/callback"


@dataclass(frozen=True)
class ClientScope:
    """What one client may call: services, and per service (when listed) only those tools, which are then also
    the only ones its `tools/list` answers show."""

    services: tuple[str, ...]
    tools: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class OAuthServer:
    """The authorization server whose access tokens the worker also accepts."""

    issuer: str
    jwks_uri: str


def client_scopes_text(scopes: Mapping[str, ClientScope]) -> str:
    """The CLIENT_SCOPES binding: `{client: {services, tools}}` as compact JSON, every list sorted."""
    return json.dumps(
        {
            name: {
                "services": sorted(scope.services),
                "tools": {service: sorted(tools) for service, tools in sorted(scope.tools.items())},
            }
            for name, scope in sorted(scopes.items())
        },
        separators=(",", ":"),
    )


def bundle_inputs_digest(edge_dir: Path = EDGE_DIR) -> str:
    """The digest edge/build.js writes into the bundle's first line (`inputsDigest` there: change both together):
    over build.js, package-lock.json and every file under src/, by path relative to edge/."""
    inputs = [edge_dir / "build.js", edge_dir / "package-lock.json", *(edge_dir / "src").rglob("*")]
    digest = hashlib.sha256()
    for path in sorted((path.relative_to(edge_dir).as_posix(), path) for path in inputs if path.is_file()):
        digest.update(f"{path[0]}\0{hashlib.sha256(path[1].read_bytes()).hexdigest()}\n".encode())
    return digest.hexdigest()


def bundle_stand_in(edge_dir: Path = EDGE_DIR) -> str:
    """What a credential-free render (`python -m infra render`, `infra diff`) puts for the script's content: the
    bundle's header line without the bundle, so a change to the worker's sources or pinned packages still shows
    as a content change, and reviewing a change needs no Node.js build."""
    note = "// credential-free render: `pulumi up` uploads the bundle itself"
    return f"{BUNDLE_HEADER_PREFIX}{bundle_inputs_digest(edge_dir)}\n{note}\n"


def worker_source(bundle: Path = WORKER_BUNDLE_PATH) -> str:
    """The bundle Cloudflare receives, exactly as the worker's tests run it; refused when missing or built from
    other sources than the checkout's, so what is uploaded is what was tested."""
    try:
        text = bundle.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise EdgeBundleError(
            f"the edge worker's bundle edge/dist/worker.js is missing: run `{BUILD_COMMAND}` (it bundles "
            "edge/src with the npm packages edge/package-lock.json pins), then run this again"
        ) from None
    if not text.startswith(f"{BUNDLE_HEADER_PREFIX}{bundle_inputs_digest(bundle.parents[1])}\n"):
        raise EdgeBundleError(
            f"the edge worker's bundle edge/dist/worker.js was built from other sources than edge/src and "
            f"edge/package-lock.json hold now: run `{BUILD_COMMAND}`, then run this again"
        )
    return text


def plain_text_bindings(
    *,
    services: Iterable[str],
    origin_host: str,
    public_hostname: str,
    allowed_origins: Iterable[str],
    max_body_bytes: int,
    keepalive_seconds: int,
    client_scopes: Mapping[str, ClientScope],
    oauth: OAuthServer | None,
    recorded_tools: Mapping[str, Sequence[str]] | None = None,
    authorization_server: AuthorizationServer | None = None,
) -> dict[str, str]:
    """The worker's non-secret settings, by binding name, in sorted order; CLIENT_SCOPES only when scopes are set,
    the OAuth ones only with an authorization server (external, or the worker's own), RECORDED_TOOLS only when
    calls are limited to them."""
    scopes = {"CLIENT_SCOPES": client_scopes_text(client_scopes)} if client_scopes else {}
    if recorded_tools is not None:
        recorded = {service: sorted(tools) for service, tools in sorted(recorded_tools.items())}
        scopes["RECORDED_TOOLS"] = json.dumps(recorded, separators=(",", ":"))
    authorization = {"OAUTH_ISSUER": oauth.issuer, "OAUTH_JWKS_URI": oauth.jwks_uri} if oauth is not None else {}
    if authorization_server is not None:
        authorization[AUTHORIZATION_SERVER_BINDING] = authorization_server_text(authorization_server)
    bindings = {
        **scopes,
        **authorization,
        "ALLOWED_ORIGINS": json.dumps(sorted(allowed_origins)),
        "KEEPALIVE_SECONDS": str(keepalive_seconds),
        "MAX_BODY_BYTES": str(max_body_bytes),
        "ORIGIN_HOST": origin_host,
        # Always HTTPS to the origin: plain HTTP exists in the worker only for its loopback tests.
        "ORIGIN_SCHEME": "https",
        "PUBLIC_HOSTNAME": public_hostname,
        "SERVICES": json.dumps(sorted(services)),
    }
    return dict(sorted(bindings.items()))


def public_endpoints(public_url: str, services: Iterable[str]) -> dict[str, str]:
    """Each service's MCP endpoint at the edge: the worker routes `/<service>/mcp` (`routeService` in worker.js)."""
    return {service: f"{public_url}/{service}/mcp" for service in services}


def token_hashes_text(client_token_hashes: Mapping[str, str]) -> str:
    """The TOKEN_HASHES secret: `{client: sha256 hex}` as compact JSON with sorted keys."""
    return json.dumps(dict(sorted(client_token_hashes.items())), separators=(",", ":"))


def observability() -> WorkersScriptObservabilityArgsDict:
    """Workers Logs on, every request kept: the worker's `mcp_request` lines are the audit trail."""
    return {
        "enabled": True,
        "head_sampling_rate": 1,
        "logs": {"enabled": True, "invocation_logs": True, "head_sampling_rate": 1},
    }


def worker_bindings(
    plain: Mapping[str, str],
    token_hashes: pulumi.Input[str],
    tokens_kv_namespace_id: pulumi.Input[str] | None,
    client_rate_limit: ClientRateLimit,
    origin: OriginBinding | None = None,
    authorization_server: AuthorizationServerStore | None = None,
) -> list[WorkersScriptBindingArgsDict]:
    """Every binding of the script: plain text settings, the token hashes as a secret, the per-client rate
    limiter, the optional KV store, the origin's fetcher and the authorization server's secret and store."""
    bindings: list[WorkersScriptBindingArgsDict] = [
        {"name": name, "type": "plain_text", "text": text} for name, text in plain.items()
    ]
    bindings.append({"name": TOKEN_HASHES_BINDING, "type": "secret_text", "text": token_hashes})
    bindings.append(
        {
            "name": CLIENT_RATE_LIMIT_BINDING,
            "type": "ratelimit",
            "namespace_id": client_rate_limit.namespace_id,
            "simple": {"limit": client_rate_limit.requests_per_period, "period": client_rate_limit.period_seconds},
        }
    )
    if tokens_kv_namespace_id is not None:
        bindings.append({"name": TOKENS_KV_BINDING, "type": "kv_namespace", "namespace_id": tokens_kv_namespace_id})
    if origin is not None and origin.kind == "vpc_service":
        bindings.append({"name": ORIGIN_BINDING, "type": "vpc_service", "service_id": origin.id})
    elif origin is not None:
        bindings.append({"name": ORIGIN_BINDING, "type": "mtls_certificate", "certificate_id": origin.id})
    if authorization_server is not None:
        secret = authorization_server.upstream_client_secret
        bindings.append({"name": UPSTREAM_CLIENT_SECRET_BINDING, "type": "secret_text", "text": secret})
        namespace_id = authorization_server.kv_namespace_id
        bindings.append({"name": OAUTH_KV_BINDING, "type": "kv_namespace", "namespace_id": namespace_id})
    return bindings


def rate_limit_rule(
    *, hostname: str, requests_per_period: int, period_seconds: int, mitigation_seconds: int
) -> RulesetRuleArgsDict:
    """Block a client IP that sends more than the limit to the edge's hostname within a period."""
    return {
        "action": "block",
        "description": f"mcp-suite edge: {requests_per_period} requests per {period_seconds} s per client IP",
        "expression": f'(http.host eq "{hostname}")',
        "enabled": True,
        "ratelimit": {
            # Counting per IP and per data center is what every plan supports.
            "characteristics": ["cf.colo.id", "ip.src"],
            "period": period_seconds,
            "requests_per_period": requests_per_period,
            "mitigation_timeout": mitigation_seconds,
        },
    }
