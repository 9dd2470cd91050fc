"""The Traefik renderers: deterministic text, stream-friendly timeouts, one route per service."""

from __future__ import annotations

import yaml

from components.render import traefik
from components.render.monitoring.sources import LATENCY_BUCKETS
from components.spec import ServiceSpec

SPECS = [
    ServiceSpec.model_validate(
        {"name": name, "image": f"ghcr.io/example/{name}:1.0.0", "transport": "streamable-http", "port": port}
    )
    for name, port in (("zeta", 9000), ("alpha", 8000))
]
HOSTS = ["localhost", "127.0.0.1"]


def test_static_config_keeps_quiet_streams_open_and_reports_nothing_home() -> None:
    static = traefik.static_config(1800, LATENCY_BUCKETS)
    timeouts = static["entryPoints"]["websecure"]["transport"]["respondingTimeouts"]
    assert timeouts == {"readTimeout": "1800s", "writeTimeout": "0s", "idleTimeout": "180s"}
    assert static["entryPoints"]["websecure"]["address"] == ":8443"
    assert static["global"] == {"checkNewVersion": False, "sendAnonymousUsage": False}
    assert "api" not in static  # no dashboard


def test_dynamic_config_routes_each_service_once_in_name_order() -> None:
    http = traefik.dynamic_config(SPECS, HOSTS, 8443)["http"]
    assert list(http["routers"]) == ["alpha", "zeta"]
    assert http["routers"]["zeta"]["rule"] == (
        "(Host(`localhost`) || Host(`127.0.0.1`)) && Path(`/zeta/mcp`) && "
        "(!HeaderRegexp(`Origin`, `.+`) || HeaderRegexp(`Origin`, `^https://(localhost|127\\.0\\.0\\.1)(:8443)?$`))"
    )
    assert http["middlewares"]["zeta-mcp-path"] == {"replacePath": {"path": "/mcp"}}
    assert http["services"]["zeta"]["loadBalancer"]["servers"] == [{"url": "http://zeta:9000"}]


def test_yaml_is_deterministic_whatever_the_catalog_order() -> None:
    text = traefik.to_yaml(traefik.dynamic_config(SPECS, HOSTS, 8443))
    assert text == traefik.to_yaml(traefik.dynamic_config(list(reversed(SPECS)), HOSTS, 8443))
    assert yaml.safe_load(text) == traefik.dynamic_config(SPECS, HOSTS, 8443)
