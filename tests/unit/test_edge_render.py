"""Pure renderers of the edge: bindings from the catalog, the token hashes, the rate limiting rule."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
import yaml

from components.render import edge_worker as render
from infra.settings import DEFAULT_COMPATIBILITY_DATE, load_settings
from infra.stack_files import PROJECT_DIR, read_stack_config

LIMIT = render.ClientRateLimit(requests_per_period=5, period_seconds=10, namespace_id="7")
ROUTING = PROJECT_DIR / "edge" / "src" / "routing.js"
WORKER_MODULES = sorted((PROJECT_DIR / "edge" / "src").glob("*.js"))
BUNDLE = PROJECT_DIR / "edge" / "dist" / "worker.js"
AUTHORIZATION_SERVER = render.AuthorizationServer(
    upstream_issuer="https://id.example.com",
    client_id="mcp-edge",
    scopes=("openid", "email"),
    client_id_metadata_documents=True,
    dynamic_client_registration=False,
    access_token_ttl_seconds=900,
)


def test_worker_source_is_the_bundle_the_worker_tests_run() -> None:
    assert render.WORKER_BUNDLE_PATH == BUNDLE
    source = render.worker_source()
    assert source == BUNDLE.read_text(encoding="utf-8")
    assert source.startswith(f"{render.BUNDLE_HEADER_PREFIX}{render.bundle_inputs_digest()}\n")
    assert "export {" in source and "OAuthAuthorizationServer" in source


@pytest.fixture
def edge_copy(tmp_path: Path) -> Path:
    """A copy of edge/'s build inputs and bundle, to change without touching the checkout."""
    edge = tmp_path / "edge"
    shutil.copytree(PROJECT_DIR / "edge" / "src", edge / "src")
    for name in ("build.js", "package-lock.json"):
        shutil.copy(PROJECT_DIR / "edge" / name, edge / name)
    (edge / "dist").mkdir()
    shutil.copy(BUNDLE, edge / "dist" / "worker.js")
    return edge


def test_a_missing_bundle_is_refused_naming_the_build_command(edge_copy: Path) -> None:
    (edge_copy / "dist" / "worker.js").unlink()
    with pytest.raises(render.EdgeBundleError, match=r"is missing: run `scripts/edge-build`"):
        render.worker_source(edge_copy / "dist" / "worker.js")


@pytest.mark.parametrize("changed", ["src/worker.js", "src/new-module.js", "package-lock.json", "build.js"])
def test_a_bundle_built_from_other_sources_is_refused(edge_copy: Path, changed: str) -> None:
    bundle = edge_copy / "dist" / "worker.js"
    assert render.worker_source(bundle).startswith(render.BUNDLE_HEADER_PREFIX)
    with (edge_copy / changed).open("a", encoding="utf-8") as file:
        file.write("\n// changed after the build\n")
    with pytest.raises(render.EdgeBundleError, match=r"built from other sources .* run `scripts/edge-build`"):
        render.worker_source(bundle)


def test_the_bundle_digest_is_the_one_build_js_computes() -> None:
    build = (PROJECT_DIR / "edge" / "build.js").read_text(encoding="utf-8")
    # The two implementations must agree on what goes in: build.js lists the same inputs, in the same form.
    assert '["build.js", "package-lock.json", ...sourceFiles()].sort()' in build
    assert "digest.update(`${path}\\0${content}\\n`)" in build
    assert render.BUNDLE_HEADER_PREFIX in build
    assert f'BUILD_COMMAND = "{render.BUILD_COMMAND}"' in build


def test_plain_bindings_route_exactly_the_catalog_over_https() -> None:
    config = read_stack_config("prod")
    settings = load_settings("prod", config.values, config.secret_keys, placeholder_secrets=True)
    bindings = render.plain_text_bindings(
        services=[spec.name for spec in settings.services],
        origin_host="ingress.example.com",
        public_hostname="mcp.example.com",
        allowed_origins=["https://b.example.com", "https://a.example.com"],
        max_body_bytes=2048,
        keepalive_seconds=20,
        client_scopes={},
        oauth=None,
    )
    assert bindings == {
        "ALLOWED_ORIGINS": '["https://a.example.com", "https://b.example.com"]',
        "KEEPALIVE_SECONDS": "20",
        "MAX_BODY_BYTES": "2048",
        "ORIGIN_HOST": "ingress.example.com",
        "ORIGIN_SCHEME": "https",
        "PUBLIC_HOSTNAME": "mcp.example.com",
        "SERVICES": json.dumps(sorted(spec.name for spec in settings.services)),
    }
    assert list(bindings) == sorted(bindings)


def test_binding_names_are_the_ones_the_worker_reads() -> None:
    source = "\n".join(module.read_text(encoding="utf-8") for module in WORKER_MODULES)
    read_by_worker = set(re.findall(r"env\.([A-Z_]+)", source)) | set(
        re.findall(r'requiredText\(env, "([A-Z_]+)"\)', source)
    )
    plain = render.plain_text_bindings(
        services=["a"],
        origin_host="o.example",
        public_hostname="p.example",
        allowed_origins=[],
        max_body_bytes=1,
        keepalive_seconds=1,
        client_scopes={"ci": render.ClientScope(services=("a",))},
        oauth=render.OAuthServer(issuer="https://id.example", jwks_uri="https://id.example/jwks"),
        recorded_tools={"a": ["t"]},
        authorization_server=AUTHORIZATION_SERVER,
    )
    origin = render.OriginBinding("vpc_service", "svc-1")
    store = render.AuthorizationServerStore(upstream_client_secret="s", kv_namespace_id="oauth-kv")
    rendered = {binding["name"] for binding in render.worker_bindings(plain, "{}", "kv-id", LIMIT, origin, store)}
    assert rendered == read_by_worker


def test_the_authorization_server_binding_is_sorted_json_and_its_secret_and_store_come_last() -> None:
    assert json.loads(render.authorization_server_text(AUTHORIZATION_SERVER)) == {
        "accessTokenTtlSeconds": 900,
        "clientId": "mcp-edge",
        "clientIdMetadataDocuments": True,
        "dynamicClientRegistration": False,
        "scopes": ["openid", "email"],
        "upstreamIssuer": "https://id.example.com",
    }
    store = render.AuthorizationServerStore(upstream_client_secret="secret", kv_namespace_id="ns-2")
    bindings = render.worker_bindings({"ORIGIN_HOST": "o.example"}, "{}", None, LIMIT, None, store)
    assert bindings[-2:] == [
        {"name": "UPSTREAM_CLIENT_SECRET", "type": "secret_text", "text": "secret"},
        {"name": "OAUTH_KV", "type": "kv_namespace", "namespace_id": "ns-2"},
    ]
    assert render.upstream_redirect_uri("mcp.example.com") == "https://mcp.example.com/oauth/callback"
    callback = re.search(r'CALLBACK_PATH = "([^"]+)"', (PROJECT_DIR / "edge/src/authorization-server.js").read_text())
    assert callback is not None and render.upstream_redirect_uri("h.example").endswith(callback.group(1))


def test_client_scopes_are_compact_sorted_json_and_absent_when_none_are_set() -> None:
    scopes = {
        "zed": render.ClientScope(services=("memory", "everything"), tools={"everything": ("echo", "add")}),
        "alice": render.ClientScope(services=("memory",)),
    }
    assert json.loads(render.client_scopes_text(scopes)) == {
        "alice": {"services": ["memory"], "tools": {}},
        "zed": {"services": ["everything", "memory"], "tools": {"everything": ["add", "echo"]}},
    }
    common = {
        "services": ["a"],
        "origin_host": "o.example",
        "public_hostname": "p.example",
        "allowed_origins": [],
        "max_body_bytes": 1,
        "keepalive_seconds": 1,
    }
    assert "CLIENT_SCOPES" not in render.plain_text_bindings(**common, client_scopes={}, oauth=None)


def test_token_hashes_are_compact_sorted_json() -> None:
    assert render.token_hashes_text({"zed": "b" * 64, "alice": "a" * 64}) == (
        '{"alice":"' + "a" * 64 + '","zed":"' + "b" * 64 + '"}'
    )


def test_bindings_hold_the_token_hashes_as_a_secret_and_the_store_only_when_asked() -> None:
    plain = {"ORIGIN_HOST": "o.example"}
    without_store = render.worker_bindings(plain, "{}", None, LIMIT)
    assert without_store == [
        {"name": "ORIGIN_HOST", "type": "plain_text", "text": "o.example"},
        {"name": "TOKEN_HASHES", "type": "secret_text", "text": "{}"},
        {"name": "CLIENT_RATE_LIMIT", "type": "ratelimit", "namespace_id": "7", "simple": {"limit": 5, "period": 10}},
    ]
    with_store = render.worker_bindings(plain, "{}", "ns-1", LIMIT)
    assert with_store[-1] == {"name": "TOKENS_KV", "type": "kv_namespace", "namespace_id": "ns-1"}


def test_the_origin_binding_is_the_tunnels_vpc_service_or_the_workers_client_certificate() -> None:
    plain = {"ORIGIN_HOST": "o.example"}
    assert all(b["name"] != "ORIGIN" for b in render.worker_bindings(plain, "{}", None, LIMIT))
    tunnel = render.worker_bindings(plain, "{}", None, LIMIT, render.OriginBinding("vpc_service", "svc-1"))
    assert tunnel[-1] == {"name": "ORIGIN", "type": "vpc_service", "service_id": "svc-1"}
    mtls = render.worker_bindings(plain, "{}", None, LIMIT, render.OriginBinding("mtls_certificate", "cert-1"))
    assert mtls[-1] == {"name": "ORIGIN", "type": "mtls_certificate", "certificate_id": "cert-1"}


def test_each_script_gets_its_own_stable_rate_limiter_id() -> None:
    staging, prod = render.rate_limit_namespace_id("mcp-staging-edge"), render.rate_limit_namespace_id("mcp-prod-edge")
    assert staging != prod
    assert staging == render.rate_limit_namespace_id("mcp-staging-edge")
    assert int(staging) > 0 and int(prod) > 0


def test_rate_limit_rule_counts_per_ip_on_the_edge_hostname() -> None:
    rule = render.rate_limit_rule(
        hostname="mcp.example.com", requests_per_period=100, period_seconds=10, mitigation_seconds=10
    )
    assert rule == {
        "action": "block",
        "description": "mcp-suite edge: 100 requests per 10 s per client IP",
        "expression": '(http.host eq "mcp.example.com")',
        "enabled": True,
        "ratelimit": {
            "characteristics": ["cf.colo.id", "ip.src"],
            "period": 10,
            "requests_per_period": 100,
            "mitigation_timeout": 10,
        },
    }


def test_default_compatibility_date_is_the_runtime_the_worker_is_tested_on() -> None:
    package = json.loads((PROJECT_DIR / "edge" / "package.json").read_text())
    lock = json.loads((PROJECT_DIR / "edge" / "package-lock.json").read_text())
    workerd = lock["packages"]["node_modules/workerd"]["version"]
    assert package["config"]["compatibilityDate"] == DEFAULT_COMPATIBILITY_DATE
    # The tests and `npm run dev` run the worker with the flags the script gets on Cloudflare.
    assert tuple(package["config"]["compatibilityFlags"]) == render.COMPATIBILITY_FLAGS
    # workerd 1.YYYYMMDD.n supports compatibility dates up to YYYY-MM-DD.
    assert workerd.split(".")[1] >= DEFAULT_COMPATIBILITY_DATE.replace("-", "")
    project = yaml.safe_load(Path(PROJECT_DIR / "Pulumi.yaml").read_text())
    assert DEFAULT_COMPATIBILITY_DATE in project["config"]["edge"]["description"]


def test_public_endpoints_are_the_paths_the_worker_routes() -> None:
    endpoints = render.public_endpoints("https://mcp.example.com", ["memory", "filesystem"])
    assert endpoints == {
        "memory": "https://mcp.example.com/memory/mcp",
        "filesystem": "https://mcp.example.com/filesystem/mcp",
    }
    route = re.search(r"const match = /(.+)/\.exec\(pathname\)", ROUTING.read_text(encoding="utf-8"))
    assert route is not None, "routing.js no longer routes with routeService's pattern"
    pattern = route.group(1).replace("\\/", "/")
    for service, url in endpoints.items():
        match = re.fullmatch(pattern, url.removeprefix("https://mcp.example.com"))
        assert match is not None and match.group(1) == service
