"""Blackbox exporter modules and the health probe targets of the catalog."""

from __future__ import annotations

from typing import Any

from components.spec import ServiceSpec

HTTP_MODULE = "http_2xx"
BLACKBOX_PORT = 9115


def blackbox_config() -> dict[str, Any]:
    return {
        "modules": {
            HTTP_MODULE: {
                "prober": "http",
                "timeout": "5s",
                "http": {
                    "method": "GET",
                    "valid_status_codes": [],  # empty means any 2xx
                    "preferred_ip_protocol": "ip4",
                    "follow_redirects": False,
                },
            }
        }
    }


def health_url(spec: ServiceSpec, host: str) -> str:
    """The health endpoint as the prober reaches it: `host` is the service's in-network name."""
    return f"http://{host}:{spec.port}{spec.health_path}"
