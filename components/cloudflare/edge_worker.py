"""The edge: a Cloudflare Worker on the suite's public hostname, rate limited, in front of the cluster's Gateway."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_cloudflare as cloudflare

from components.render import edge_worker as render


@dataclass(frozen=True)
class EdgeWorkerArgs:
    account_id: str
    """Cloudflare account that holds the script (and the KV namespace)."""
    zone_id: str
    """Zone of `hostname`; gets the custom domain and the rate limiting ruleset."""
    hostname: str
    """Public hostname of the suite: `https://<hostname>/<service>/mcp`."""
    origin_host: str
    """Hostname the cluster's Gateway answers; the worker forwards to `https://<origin_host>/<service>/mcp`."""
    services: tuple[str, ...]
    """Names of the catalog's services: the only paths routed."""
    script_name: str
    """Name of the Workers script (unique in the account)."""
    worker_source: str
    """The worker bundle, exactly as `edge/build.js` wrote it (`render.worker_source`)."""
    compatibility_date: str
    """Workers runtime compatibility date."""
    client_token_hashes: pulumi.Output[str]
    """Secret `{client: sha256 hex}` JSON (see `render.token_hashes_text`)."""
    allowed_origins: tuple[str, ...]
    """Browser origins allowed by CORS."""
    max_body_bytes: int
    """Largest request body forwarded."""
    keepalive_seconds: int
    """Idle seconds before an SSE keep-alive comment (Cloudflare gives up after 100)."""
    requests_per_period: int
    """Rate limit: requests per client IP per period."""
    period_seconds: int
    """Rate limit counting period."""
    mitigation_seconds: int
    """How long a client over the limit stays blocked."""
    token_store: bool
    """Create a KV namespace whose keys `sha256:<hex>` are further client tokens."""
    client_scopes: Mapping[str, render.ClientScope]
    """Client name -> what it may call; empty lets every client call everything."""
    oauth: render.OAuthServer | None
    """Also accept this authorization server's access tokens, each only for its service; None: static only."""
    client_requests_per_period: int
    """Requests one client may make per period (Workers rate limiting, per Cloudflare location)."""
    client_period_seconds: int
    """Its counting period: 10 or 60."""
    protect: bool
    """Protect the KV namespace and keep it on delete (it holds client registrations)."""
    origin: render.OriginBinding | None = None
    """The worker's only way to the origin (the tunnel's VPC service, or its mTLS certificate); None: a plain
    fetch to `origin_host`, for an origin that does not check where requests come from."""
    recorded_tools: Mapping[str, Sequence[str]] | None = None
    """Service -> the tools catalog-tools.json records for it: calls to any other tool are refused. None: off."""
    authorization_server: render.AuthorizationServer | None = None
    """Make the worker the services' OAuth authorization server (a KV namespace holds its clients, grants and
    tokens; protected like the token store). None: no authorization server in the worker."""
    upstream_client_secret: pulumi.Output[str] | None = None
    """Secret: the edge's client secret at the upstream OpenID provider; required with `authorization_server`."""


class EdgeWorker(pulumi.ComponentResource):
    """Workers script, its custom domain, the workers.dev address turned off, and the zone's rate limit."""

    def __init__(self, name: str, args: EdgeWorkerArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mcp-suite:cloudflare:EdgeWorker", name, None, opts)
        if args.authorization_server is not None and args.upstream_client_secret is None:
            raise ValueError("EdgeWorkerArgs.upstream_client_secret is required with authorization_server")
        child = pulumi.ResourceOptions(parent=self)
        stored = pulumi.ResourceOptions(parent=self, protect=args.protect, retain_on_delete=args.protect)
        tokens_kv_id: pulumi.Output[str] | None = None
        if args.token_store:
            tokens_kv = cloudflare.WorkersKvNamespace(
                f"{name}-tokens",
                account_id=args.account_id,
                title=f"{args.script_name}-tokens",
                opts=stored,
            )
            tokens_kv_id = tokens_kv.id
        authorization_store: render.AuthorizationServerStore | None = None
        if args.authorization_server is not None and args.upstream_client_secret is not None:
            # Client registrations and grants: losing them signs every OAuth client out, so kept like the tokens.
            oauth_kv = cloudflare.WorkersKvNamespace(
                f"{name}-oauth", account_id=args.account_id, title=f"{args.script_name}-oauth", opts=stored
            )
            authorization_store = render.AuthorizationServerStore(
                upstream_client_secret=pulumi.Output.secret(args.upstream_client_secret),
                kv_namespace_id=oauth_kv.id,
            )
        plain = render.plain_text_bindings(
            services=args.services,
            origin_host=args.origin_host,
            public_hostname=args.hostname,
            allowed_origins=args.allowed_origins,
            max_body_bytes=args.max_body_bytes,
            keepalive_seconds=args.keepalive_seconds,
            client_scopes=args.client_scopes,
            oauth=args.oauth,
            recorded_tools=args.recorded_tools,
            authorization_server=args.authorization_server,
        )
        script = cloudflare.WorkersScript(
            f"{name}-script",
            account_id=args.account_id,
            script_name=args.script_name,
            content=args.worker_source,
            main_module=render.MAIN_MODULE,
            compatibility_date=args.compatibility_date,
            compatibility_flags=list(render.COMPATIBILITY_FLAGS),
            bindings=render.worker_bindings(
                plain,
                pulumi.Output.secret(args.client_token_hashes),
                tokens_kv_id,
                render.ClientRateLimit(
                    requests_per_period=args.client_requests_per_period,
                    period_seconds=args.client_period_seconds,
                    namespace_id=render.rate_limit_namespace_id(args.script_name),
                ),
                args.origin,
                authorization_store,
            ),
            observability=render.observability(),
            opts=child,
        )
        # Only the custom domain is rate limited: the workers.dev address would be a way around it.
        cloudflare.WorkersScriptSubdomain(
            f"{name}-workers-dev",
            account_id=args.account_id,
            script_name=script.script_name,
            enabled=False,
            previews_enabled=False,
            opts=child,
        )
        domain = cloudflare.WorkersCustomDomain(
            f"{name}-domain",
            account_id=args.account_id,
            zone_id=args.zone_id,
            hostname=args.hostname,
            service=script.script_name,
            opts=child,
        )
        cloudflare.Ruleset(
            f"{name}-rate-limit",
            zone_id=args.zone_id,
            kind="zone",
            phase="http_ratelimit",
            name="mcp-suite edge rate limit",
            description="Limits each client IP on the MCP suite's public hostname.",
            rules=[
                render.rate_limit_rule(
                    hostname=args.hostname,
                    requests_per_period=args.requests_per_period,
                    period_seconds=args.period_seconds,
                    mitigation_seconds=args.mitigation_seconds,
                )
            ],
            opts=child,
        )
        self.public_url: pulumi.Output[str] = domain.hostname.apply(lambda hostname: f"https://{hostname}")
        """Base URL of the suite on the edge."""
        self.script_name: pulumi.Output[str] = script.script_name
        self.register_outputs({"public_url": self.public_url, "script_name": self.script_name})
