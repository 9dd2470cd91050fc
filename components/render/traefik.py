"""Pure renderers of the Docker gateway's Traefik configuration (static and file-provider dynamic), as YAML text.

Routes mirror the Kubernetes Ingress contract: `https://<gateway>/<service>/mcp` reaches the service's `mcpPath`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import yaml

from components.render.monitoring.text import SAFE_DUMPER
from components.spec import ServiceSpec

CONFIG_DIR = "/etc/traefik"
"""Traefik reads its static configuration from `traefik.yml` here; a volume, so files can be uploaded into it."""
STATIC_FILE = f"{CONFIG_DIR}/traefik.yml"
DYNAMIC_FILE = f"{CONFIG_DIR}/dynamic.yml"
CERTIFICATE_FILE = f"{CONFIG_DIR}/certificate.pem"
KEY_FILE = f"{CONFIG_DIR}/key.pem"
HTTPS_PORT = 8443
"""Port inside the container: above 1024, so Traefik needs no capability to bind it."""
PING_PORT = 8082
"""Internal entry point: health ping and Prometheus metrics, reached on the internal network only."""
NETWORK_ALIAS = "gateway"
ENTRYPOINT = "websecure"
IDLE_BACKEND_CONNECTION = "2s"
"""How long Traefik keeps an idle connection to a service: shorter than the bridge's keep-alive (Node.js's 5 s)
and its drain window, so Traefik closes idle connections itself and never sends a request on one the service is
closing at that moment (a failed request with no retry)."""
FLUSH_INTERVAL = "10ms"
"""Flush period of non-streaming bodies; Traefik flushes streaming responses such as SSE at once anyway."""


def static_config(stream_timeout_seconds: int, latency_buckets: Sequence[float]) -> dict[str, Any]:
    return {
        "global": {"checkNewVersion": False, "sendAnonymousUsage": False},
        "entryPoints": {
            ENTRYPOINT: {
                "address": f":{HTTPS_PORT}",
                "http": {"tls": {}},
                "transport": {
                    # Long-lived MCP streams: no write deadline, and a read deadline as long as the ingress's.
                    "respondingTimeouts": {
                        "readTimeout": f"{stream_timeout_seconds}s",
                        "writeTimeout": "0s",
                        "idleTimeout": "180s",
                    }
                },
            },
            "ping": {"address": f":{PING_PORT}"},
        },
        "serversTransport": {"forwardingTimeouts": {"idleConnTimeout": IDLE_BACKEND_CONNECTION}},
        "ping": {"entryPoint": "ping"},
        # Request counts and latency per entry point and service, with the bounds the SLOs count requests under.
        "metrics": {
            "prometheus": {
                "entryPoint": "ping",
                "buckets": list(latency_buckets),
                "addEntryPointsLabels": True,
                "addServicesLabels": True,
            }
        },
        "providers": {"file": {"filename": DYNAMIC_FILE, "watch": False}},
        "log": {"level": "INFO", "format": "json"},
        "accessLog": {"format": "json"},
    }


def router_name(spec: ServiceSpec) -> str:
    return spec.name


def route_rule(spec: ServiceSpec, hosts: Sequence[str], port: int) -> str:
    """The service's path, for the gateway's own names only, and from no page of another site.

    The gateway listens on the user's loopback: without the host check, a site whose name resolves to 127.0.0.1
    (DNS rebinding) could reach the services from the user's browser, and without the origin check any page could
    send them requests. Requests with no Origin (MCP clients that are not browsers) pass."""
    names = " || ".join(f"Host(`{host}`)" for host in hosts)
    allowed = "|".join(re.escape(host) for host in hosts)
    origin = f"^https://({allowed})(:{port})?$"
    no_foreign_origin = f"(!HeaderRegexp(`Origin`, `.+`) || HeaderRegexp(`Origin`, `{origin}`))"
    return f"({names}) && Path(`/{spec.name}/mcp`) && {no_foreign_origin}"


def dynamic_config(services: Sequence[ServiceSpec], hosts: Sequence[str], port: int) -> dict[str, Any]:
    """Routes for `services`, answering only requests for one of `hosts` (the certificate's names) on `port`."""
    routers: dict[str, Any] = {}
    middlewares: dict[str, Any] = {}
    backends: dict[str, Any] = {}
    for spec in sorted(services, key=lambda item: item.name):
        rewrite = f"{spec.name}-mcp-path"
        routers[router_name(spec)] = {
            "entryPoints": [ENTRYPOINT],
            "rule": route_rule(spec, hosts, port),
            "middlewares": [rewrite],
            "service": spec.name,
            "tls": {},
        }
        middlewares[rewrite] = {"replacePath": {"path": spec.mcp_path}}
        # One container per service on Docker, so there is nothing to balance or pin a session to.
        backends[spec.name] = {
            "loadBalancer": {
                "servers": [{"url": f"http://{spec.name}:{spec.port}"}],
                "passHostHeader": True,
                "responseForwarding": {"flushInterval": FLUSH_INTERVAL},
            }
        }
    return {
        "http": {"routers": routers, "middlewares": middlewares, "services": backends},
        "tls": {
            "options": {"default": {"minVersion": "VersionTLS12", "sniStrict": False}},
            "stores": {"default": {"defaultCertificate": {"certFile": CERTIFICATE_FILE, "keyFile": KEY_FILE}}},
        },
    }


def to_yaml(document: dict[str, Any]) -> str:
    return yaml.dump(document, Dumper=SAFE_DUMPER, sort_keys=True, default_flow_style=False)
