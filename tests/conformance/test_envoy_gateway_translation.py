"""The rendered entrance as Envoy Gateway v1.9.1 itself reads it: its translator (`egctl x translate`, built from
the release's Go module) turns the Gateway API objects into the Envoy configuration the proxies would run.

What that shows, per lock: every route and policy is accepted; behind the tunnel no proxy Service is public;
under the mTLS lock the listener refuses a TLS client without a certificate of the stack's CA; and everywhere the
exact paths, the hour-long request and stream idle timeouts, the body limit and the hash on `Mcp-Session-Id`.
Envoy itself cannot run here, so the proxies' answers are not exercised; the configuration they would load is.

Stand-ins (test fixtures, as a cluster would hold them): the GatewayClass the Envoy Gateway install creates, the
TLS Secret cert-manager would issue, the cluster IP each Service would get, and a real CA certificate in place of
the mocks' placeholder.
"""

from __future__ import annotations

import base64
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.render.network_policy import GATEWAY_PROXY_HTTPS_PORT
from infra.mock_runtime import Evaluation
from infra.render import kubernetes_manifests
from infra.stack_files import PROJECT_DIR, read_stack_config
from tests.helpers.stacks import evaluate_stack
from tests.helpers.tools import require_go_tool, require_tool

pytestmark = pytest.mark.slow

ORIGIN_HOST = "mcp-origin.staging.example.com"
GATEWAY_KINDS = {"Gateway", "HTTPRoute", "EnvoyProxy", "ClientTrafficPolicy", "BackendTrafficPolicy"}
CONTROLLER = "gateway.envoyproxy.io/gatewayclass-controller"
# A published-image service that shares its sessions across replicas: the one case hashed on the session id.
SHARED = {
    "image": "ghcr.io/example/search:1.4.2",
    "transport": "streamable-http",
    "port": 8080,
    "sessions": "shared",
    "replicas": {"min": 2, "max": 4},
}


def evaluation_with(lock: str) -> Evaluation:
    network = json.loads(read_stack_config("staging").values["mcp-suite:network"])
    catalog = yaml.safe_load((PROJECT_DIR / "Pulumi.yaml").read_text())["config"]["services"]["default"]
    overrides = {"network": {**network, "originLock": lock}, "services": {**catalog, "search": SHARED}}
    return evaluate_stack("staging", overrides=overrides)


def pem_pair(openssl: str, directory: Path, name: str, *extra: str) -> tuple[str, str]:
    key, certificate = directory / f"{name}.key", directory / f"{name}.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1",
         "-subj", f"/CN={name}", *extra, "-keyout", str(key), "-out", str(certificate)],
        check=True, capture_output=True,
    )  # fmt: skip
    return certificate.read_text(), key.read_text()


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def translation_input(evaluation: Evaluation, directory: Path) -> Path:
    openssl = require_tool("openssl")
    manifests = kubernetes_manifests(evaluation)
    namespace = "mcp-staging"
    host = next(m for m in manifests if m["kind"] == "Gateway")["spec"]["listeners"][0]["hostname"]
    certificate, key = pem_pair(openssl, directory, "origin", "-addext", f"subjectAltName=DNS:{host}")
    ca, _ = pem_pair(openssl, directory, "client-ca", "-addext", "basicConstraints=critical,CA:TRUE")
    objects: list[dict[str, Any]] = [
        {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "GatewayClass", "metadata": {"name": "eg"},
         "spec": {"controllerName": CONTROLLER}},
        {"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/tls",
         "metadata": {"name": "mcp-staging-ingress-tls", "namespace": namespace},
         "data": {"tls.crt": b64(certificate), "tls.key": b64(key)}},
    ]  # fmt: skip
    for index, manifest in enumerate(manifests):
        if manifest["kind"] in GATEWAY_KINDS:
            objects.append(manifest)
        elif manifest["kind"] == "Service":
            objects.append({**manifest, "spec": {**manifest["spec"], "clusterIP": f"10.96.0.{index + 10}"}})
        elif manifest["kind"] == "ConfigMap" and manifest["metadata"]["name"] == "origin-client-ca":
            objects.append({**manifest, "data": {"ca.crt": ca}})
    path = directory / "input.yaml"
    path.write_text(yaml.safe_dump_all(objects, sort_keys=True))
    return path


def translate(path: Path) -> dict[str, Any]:
    egctl = require_go_tool("egctl")
    result = subprocess.run(
        [egctl, "x", "translate", "--from", "gateway-api", "--to", "gateway-api,xds", "--type", "all",
         "--output", "json", "--file", str(path)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return dict(json.loads(result.stdout))


@pytest.fixture(scope="module", params=["tunnel", "mtls"])
def translated(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Any]]:
    lock = str(request.param)
    path = translation_input(evaluation_with(lock), tmp_path_factory.mktemp(f"egctl-{lock}"))
    yield lock, translate(path)


def conditions(resource: dict[str, Any]) -> dict[str, str]:
    status = resource.get("status", {})
    found = list(status.get("conditions", []))
    for parent in status.get("parents", []) + status.get("ancestors", []):
        found += parent.get("conditions", [])
    return {condition["type"]: condition["status"] for condition in found}


def gateway_resources(output: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    resources = output.get("gatewayAPI", output)
    return {key: value for key, value in resources.items() if isinstance(value, list)}


def test_envoy_gateway_accepts_every_route_and_policy(translated: tuple[str, Any]) -> None:
    _, output = translated
    resources = gateway_resources(output)
    routes = resources["httpRoutes"]
    assert {route["metadata"]["name"] for route in routes} >= {"memory", "everything", "search"}
    problems = {
        f"{kind} {item['metadata']['name']}": conditions(item)
        for kind in ("httpRoutes", "clientTrafficPolicies", "backendTrafficPolicies")
        for item in resources.get(kind, [])
        if conditions(item).get("Accepted") != "True" or conditions(item).get("ResolvedRefs", "True") != "True"
    }
    assert problems == {}
    (gateway,) = resources["gateways"]
    (listener,) = gateway["status"]["listeners"]
    assert listener["attachedRoutes"] == len(routes)
    states = {condition["type"]: condition["status"] for condition in listener["conditions"]}
    assert states == {"Accepted": "True", "ResolvedRefs": "True", "Programmed": "True"}


def found(value: Any, key: str) -> list[Any]:
    """Every value of `key` anywhere in the Envoy configuration dump."""
    if isinstance(value, dict):
        return [v for k, v in value.items() if k == key] + [f for v in value.values() for f in found(v, key)]
    if isinstance(value, list):
        return [f for item in value for f in found(item, key)]
    return []


def routes(output: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Envoy's routes for the origin host, by their exact path (the proxies' own stats route is not one)."""
    return {
        route["match"]["path"]: route
        for hosts in found(output["xds"], "virtualHosts")
        for virtual_host in hosts
        if ORIGIN_HOST in virtual_host["domains"]
        for route in virtual_host["routes"]
    }


def test_the_listener_requires_the_workers_certificate_only_under_the_mtls_lock(translated: tuple[str, Any]) -> None:
    lock, output = translated
    (listener,) = [
        listener
        for listener in found(output["xds"], "listener")
        if listener.get("address", {}).get("socketAddress", {}).get("portValue") == GATEWAY_PROXY_HTTPS_PORT
    ]
    (chain,) = listener["filterChains"]
    tls = chain["transportSocket"]["typedConfig"]
    if lock == "mtls":
        assert tls["requireClientCertificate"] is True
        assert tls["commonTlsContext"]["validationContextSdsSecretConfig"]["name"].startswith("mcp-staging/")
    else:
        assert "requireClientCertificate" not in tls
        assert "validationContextSdsSecretConfig" not in tls["commonTlsContext"]


def test_routes_keep_exact_paths_long_streams_the_body_limit_and_session_hashing(translated: tuple[str, Any]) -> None:
    _, output = translated
    by_path = routes(output)
    assert set(by_path) == {
        f"/{name}/mcp" for name in ("everything", "filesystem", "memory", "search", "sequential-thinking")
    }
    for route in by_path.values():
        assert route["route"]["timeout"] == "3600s"
        assert route["route"]["regexRewrite"] == {"pattern": {"regex": "^/.*$"}, "substitution": "/mcp"}
    hashed = {path for path, route in by_path.items() if "hashPolicy" in route["route"]}
    assert hashed == {"/search/mcp"}
    assert by_path["/search/mcp"]["route"]["hashPolicy"] == [{"header": {"headerName": "Mcp-Session-Id"}}]
    assert found(output["xds"], "streamIdleTimeout") == ["3600s"]
    assert set(found(output["xds"], "maxRequestBytes")) == {8 * 1024 * 1024}


def test_the_proxies_count_request_durations_in_the_slo_buckets(translated: tuple[str, Any]) -> None:
    _, output = translated
    (settings,) = found(output["xds"], "histogramBucketSettings")
    assert settings == [{"match": {"prefix": "cluster."}, "buckets": [50, 100, 200, 300, 500, 1000, 2000, 5000]}]
