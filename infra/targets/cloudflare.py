"""Composition of the edge (staging, prod): the Cloudflare Worker in front of the cluster's Gateway."""

from __future__ import annotations

import pulumi
import pulumi_cloudflare as cloudflare

from components.cloudflare.edge_worker import EdgeWorker, EdgeWorkerArgs
from components.render.edge_worker import (
    AuthorizationServer,
    ClientScope,
    EdgeBundleError,
    OAuthServer,
    bundle_stand_in,
    public_endpoints,
    token_hashes_text,
    upstream_redirect_uri,
    worker_source,
)
from infra.settings import EdgeDeployment, Settings
from infra.stack_files import PROJECT_DIR
from infra.targets.kubernetes import ClusterEntrance
from infra.targets.origin_lock import compose_origin_lock
from infra.tool_surface import read_manifest, recorded_tool_names


def compose_edge(settings: Settings, deployment: EdgeDeployment, cluster: ClusterEntrance) -> None:
    edge, secrets = settings.edge, settings.edge_secrets
    try:
        source = worker_source() if deployment.upload_bundle else bundle_stand_in()
    except EdgeBundleError as error:
        # RunError ends the program with the message alone, no traceback.
        raise pulumi.RunError(str(error)) from None
    authorization_server = edge.authorization_server
    upstream_secret = secrets.upstream_client_secret
    provider = cloudflare.Provider(
        "cloudflare", api_token=pulumi.Output.secret(deployment.cloudflare_api_token.get_secret_value())
    )
    origin = compose_origin_lock(settings, deployment, cluster, pulumi.ResourceOptions(provider=provider))
    worker = EdgeWorker(
        "edge",
        EdgeWorkerArgs(
            account_id=deployment.account_id,
            zone_id=deployment.zone_id,
            hostname=deployment.hostname,
            origin_host=deployment.origin_host,
            origin=origin,
            services=tuple(spec.name for spec in settings.services),
            script_name=f"{settings.name_prefix}-edge",
            worker_source=source,
            compatibility_date=edge.compatibility_date,
            client_token_hashes=pulumi.Output.secret(token_hashes_text(secrets.client_token_hashes)),
            allowed_origins=tuple(edge.allowed_origins),
            max_body_bytes=edge.max_body_bytes,
            keepalive_seconds=edge.keepalive_seconds,
            requests_per_period=edge.rate_limit.requests_per_period,
            period_seconds=edge.rate_limit.period_seconds,
            mitigation_seconds=edge.rate_limit.mitigation_seconds,
            token_store=edge.token_store,
            oauth=OAuthServer(issuer=edge.oauth.issuer, jwks_uri=edge.oauth.jwks_uri) if edge.oauth else None,
            client_requests_per_period=edge.client_rate_limit.requests_per_period,
            client_period_seconds=edge.client_rate_limit.period_seconds,
            client_scopes={
                name: ClientScope(
                    services=tuple(scope.services),
                    tools={service: tuple(tools) for service, tools in scope.tools.items()},
                )
                for name, scope in edge.client_scopes.items()
            },
            recorded_tools=recorded_tool_names(settings.services, read_manifest(PROJECT_DIR))
            if edge.recorded_tools_only
            else None,
            protect=settings.protect_stateful_data,
            authorization_server=AuthorizationServer(
                upstream_issuer=authorization_server.upstream_issuer,
                client_id=authorization_server.client_id,
                scopes=tuple(authorization_server.scopes),
                client_id_metadata_documents=authorization_server.client_id_metadata_documents,
                dynamic_client_registration=authorization_server.dynamic_client_registration,
                access_token_ttl_seconds=authorization_server.access_token_ttl_seconds,
            )
            if authorization_server is not None
            else None,
            upstream_client_secret=pulumi.Output.secret(upstream_secret.get_secret_value())
            if upstream_secret is not None
            else None,
        ),
        opts=pulumi.ResourceOptions(provider=provider),
    )
    pulumi.export("edgeUrl", worker.public_url)
    if authorization_server is not None:
        # What to register at the upstream OpenID provider as the edge's redirect URI (docs/edge.md).
        pulumi.export("edgeOAuthRedirectUri", upstream_redirect_uri(deployment.hostname))
    names = [spec.name for spec in settings.services]
    # One Output for the whole map, not one per service: each Output is a task the SDK schedules and awaits.
    pulumi.export("edgeEndpoints", worker.public_url.apply(lambda url: public_endpoints(url, names)))
