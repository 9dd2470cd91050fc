"""Pure renderers of the edge worker's deployment: its source, its bindings and its rate limiting rule.

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

WORKER_SOURCE_PATH = Path(__file__).resolve().parents[2] / "edge" / "src" / "worker.js"
MAIN_MODULE = "worker.js"
TOKEN_HASHES_BINDING = "TOKEN_HASHES"
TOKENS_KV_BINDING = "TOKENS_KV"
CLIENT_RATE_LIMIT_BINDING = "CLIENT_RATE_LIMIT"
ORIGIN_BINDING = "ORIGIN"


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
class ClientScope:
    """What one client may call: services, and per service (when listed) only those tools."""

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


def worker_source() -> str:
    """The worker exactly as the repository holds it (and as its tests run it)."""
    return WORKER_SOURCE_PATH.read_text(encoding="utf-8")


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
) -> dict[str, str]:
    """The worker's non-secret settings, by binding name, in sorted order; CLIENT_SCOPES only when scopes are set,
    the OAuth ones only with an authorization server, RECORDED_TOOLS only when calls are limited to them."""
    scopes = {"CLIENT_SCOPES": client_scopes_text(client_scopes)} if client_scopes else {}
    if recorded_tools is not None:
        recorded = {service: sorted(tools) for service, tools in sorted(recorded_tools.items())}
        scopes["RECORDED_TOOLS"] = json.dumps(recorded, separators=(",", ":"))
    authorization = {"OAUTH_ISSUER": oauth.issuer, "OAUTH_JWKS_URI": oauth.jwks_uri} if oauth is not None else {}
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
) -> list[WorkersScriptBindingArgsDict]:
    """Every binding of the script: plain text settings, the token hashes as a secret, the per-client rate
    limiter, the optional KV store and the origin's fetcher."""
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
