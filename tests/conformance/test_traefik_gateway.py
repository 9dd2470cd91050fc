"""The rendered Traefik configuration, run by a real Traefik 3.6: TLS, one route per service, rewrites, SSE.

Backends are small local HTTP servers; the test swaps the Docker service names for their loopback addresses
and the container paths for temporary files, and changes nothing else of the rendered configuration.
"""

from __future__ import annotations

import http.server
import json
import socket
import ssl
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from components.render import traefik as render
from components.render.monitoring.sources import LATENCY_BUCKETS
from components.spec import ServiceSpec
from tests.helpers.tools import require_tool

pytestmark = pytest.mark.slow

SPECS = [
    ServiceSpec.model_validate(
        {"name": "alpha", "image": "ghcr.io/example/alpha:1.0.0", "transport": "streamable-http", "port": 8000}
    ),
    ServiceSpec.model_validate(
        {
            "name": "beta",
            "image": "ghcr.io/example/beta:2.1.0",
            "transport": "streamable-http",
            "port": 9000,
            "mcpPath": "/v1/mcp",
        }
    ),
]


class Backend(http.server.BaseHTTPRequestHandler):
    """Answers with what it received; `/sse` paths stream two events a second apart."""

    service = "?"

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        self.rfile.read(length)
        if self.headers.get("Accept") == "text/event-stream":
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            self.end_headers()
            for number in (1, 2):
                self.wfile.write(f"id: {number}\ndata: event {number}\n\n".encode())
                self.wfile.flush()
                time.sleep(1.5)
            return
        body = json.dumps(
            {"service": self.service, "path": self.path, "session": self.headers.get("Mcp-Session-Id")}
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        return


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    traefik, openssl = require_tool("traefik"), require_tool("openssl")
    directory = tmp_path_factory.mktemp("traefik")
    certificate, key = directory / "certificate.pem", directory / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1",
         "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
         "-keyout", str(key), "-out", str(certificate)],
        check=True, capture_output=True,
    )  # fmt: skip
    servers = []
    addresses = {}
    for spec in SPECS:
        handler = type(f"{spec.name}Backend", (Backend,), {"service": spec.name})
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        addresses[f"http://{spec.name}:{spec.port}"] = f"http://127.0.0.1:{server.server_address[1]}"

    https_port, ping_port = free_port(), free_port()
    dynamic = render.dynamic_config(SPECS, ["localhost", "127.0.0.1"], https_port)
    for backend in dynamic["http"]["services"].values():
        for server_entry in backend["loadBalancer"]["servers"]:
            server_entry["url"] = addresses[server_entry["url"]]
    dynamic["tls"]["stores"]["default"]["defaultCertificate"] = {"certFile": str(certificate), "keyFile": str(key)}
    (directory / "dynamic.yml").write_text(render.to_yaml(dynamic))

    static = render.static_config(3600, LATENCY_BUCKETS)
    static["entryPoints"][render.ENTRYPOINT]["address"] = f"127.0.0.1:{https_port}"
    static["entryPoints"]["ping"]["address"] = f"127.0.0.1:{ping_port}"
    static["providers"]["file"]["filename"] = str(directory / "dynamic.yml")
    static_file = directory / "traefik.yml"
    static_file.write_text(render.to_yaml(static))

    log = (directory / "traefik.log").open("w")
    process = subprocess.Popen([traefik, f"--configFile={static_file}"], stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 20
        while True:
            check = subprocess.run(
                [traefik, "healthcheck", "--ping", f"--configFile={static_file}"], capture_output=True, text=True
            )
            if check.returncode == 0:
                break
            if time.monotonic() > deadline or process.poll() is not None:
                pytest.fail(f"Traefik did not become healthy:\n{(directory / 'traefik.log').read_text()}")
            time.sleep(0.2)
        METRICS["url"] = f"http://127.0.0.1:{ping_port}/metrics"
        yield f"https://127.0.0.1:{https_port}", certificate
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()
        for server in servers:
            server.shutdown()


METRICS: dict[str, str] = {}
"""Where the running gateway serves its Prometheus metrics (the internal entry point)."""


def post(gateway: tuple[str, Path], path: str, headers: dict[str, str] | None = None) -> urllib.request._UrlopenRet:
    base, certificate = gateway
    context = ssl.create_default_context(cafile=str(certificate))
    request = urllib.request.Request(f"{base}{path}", data=b"{}", method="POST", headers=headers or {})
    return urllib.request.urlopen(request, context=context, timeout=10)


def test_each_service_is_routed_to_its_own_mcp_path_over_verified_tls(gateway: tuple[str, Path]) -> None:
    with post(gateway, "/alpha/mcp", {"Mcp-Session-Id": "s-1"}) as response:
        assert json.loads(response.read()) == {"service": "alpha", "path": "/mcp", "session": "s-1"}
    with post(gateway, "/beta/mcp") as response:
        assert json.loads(response.read())["path"] == "/v1/mcp"


@pytest.mark.parametrize("path", ["/alpha/healthz", "/alpha", "/mcp", "/beta/mcp/extra"])
def test_nothing_but_the_mcp_endpoints_is_routed(gateway: tuple[str, Path], path: str) -> None:
    with pytest.raises(urllib.error.HTTPError) as caught:
        post(gateway, path)
    assert caught.value.code == 404


@pytest.mark.parametrize(
    "headers",
    [
        {"Host": "attacker.example.com"},
        {"Origin": "https://attacker.example.com"},
        {"Origin": "https://localhost:9999"},
        {"Origin": "http://localhost"},
    ],
    ids=["foreign-host", "foreign-origin", "other-port", "plain-http-origin"],
)
def test_a_foreign_host_or_origin_is_refused(gateway: tuple[str, Path], headers: dict[str, str]) -> None:
    """DNS rebinding and cross-site pages: the loopback gateway answers only its own names and origins."""
    with pytest.raises(urllib.error.HTTPError) as caught:
        post(gateway, "/alpha/mcp", headers)
    assert caught.value.code == 404
    base = gateway[0]
    with post(gateway, "/alpha/mcp", {"Origin": base.replace("127.0.0.1", "localhost")}) as response:
        assert json.loads(response.read())["service"] == "alpha"


def test_sse_events_reach_the_client_as_they_are_written(gateway: tuple[str, Path]) -> None:
    started = time.monotonic()
    with post(gateway, "/alpha/mcp", {"Accept": "text/event-stream"}) as response:
        first = response.readline()
        first_at = time.monotonic() - started
        rest = response.read()
    assert first == b"id: 1\n"
    assert first_at < 1.0, f"first event arrived after {first_at:.2f}s: the stream was buffered"
    assert b"data: event 2" in rest


def test_request_metrics_are_served_with_the_slo_latency_bounds(gateway: tuple[str, Path]) -> None:
    # Prometheus scrapes these on the internal network; the SLO and threshold rules are written against them.
    with post(gateway, "/alpha/mcp") as response:
        response.read()
    with urllib.request.urlopen(METRICS["url"], timeout=10) as response:
        text = response.read().decode()
    assert 'traefik_service_requests_total{code="200",method="POST",protocol="http",service="alpha@file"}' in text
    for bound in ("0.2", "0.5"):
        assert (
            f'traefik_entrypoint_request_duration_seconds_bucket{{code="200",entrypoint="{render.ENTRYPOINT}"' in text
        )
        assert f'le="{bound}"' in text
