"""Pure renderers of the Gateway: sizes in the form Envoy Gateway reads, and the latency buckets it exports."""

from __future__ import annotations

import pytest
import yaml

from components.render import gateway_api as render
from tests.components.test_kubernetes_network import OPTIONS


@pytest.mark.parametrize(("size", "quantity"), [("512k", "512Ki"), ("8m", "8Mi"), ("1g", "1Gi"), ("4096", "4096")])
def test_body_limits_become_binary_quantities(size: str, quantity: str) -> None:
    assert render.kubernetes_quantity(size) == quantity


def test_the_proxies_export_request_durations_in_the_slo_buckets() -> None:
    bootstrap = render.envoy_proxy_spec(OPTIONS)["bootstrap"]
    assert bootstrap["type"] == "Merge"
    settings = yaml.safe_load(bootstrap["value"])["stats_config"]["histogram_bucket_settings"]
    assert settings == [{"match": {"prefix": "cluster."}, "buckets": [200.0, 500.0]}]


def test_the_proxy_pods_are_selected_by_their_gateway_and_its_namespace() -> None:
    assert render.proxy_pod_labels("mcp-prod") == {
        "gateway.envoyproxy.io/owning-gateway-name": "mcp",
        "gateway.envoyproxy.io/owning-gateway-namespace": "mcp-prod",
    }
