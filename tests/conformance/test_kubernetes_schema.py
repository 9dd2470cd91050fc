"""Every rendered Kubernetes object of staging and prod is valid against the OpenAPI schema, strictly."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from tests.helpers.stacks import KUBERNETES_STACKS

OLDEST, NEWEST = "1.30", kubernetes_validate.latest_version()
# kubernetes-validate ships no schemas for custom resources: the Prometheus Operator's objects are checked by
# promtool (tests/monitoring), the Gateway API and Envoy Gateway objects against their CRDs
# (tests/conformance/test_gateway_api_schema.py).
CUSTOM_RESOURCE_GROUPS = ("monitoring.coreos.com/", "gateway.networking.k8s.io/", "gateway.envoyproxy.io/")


def manifests(render_dir: Callable[[str], Path], stack: str) -> list[tuple[str, dict[str, object]]]:
    directory = render_dir(stack) / "kubernetes"
    return [(path.name, yaml.safe_load(path.read_text())) for path in sorted(directory.glob("*.yaml"))]


def test_newest_schema_is_recent() -> None:
    assert tuple(int(part) for part in NEWEST.split(".")) >= (1, 37)


@pytest.mark.parametrize("version", [OLDEST, NEWEST])
@pytest.mark.parametrize("stack", KUBERNETES_STACKS)
def test_rendered_objects_are_strictly_schema_valid(
    render_dir: Callable[[str], Path], stack: str, version: str
) -> None:
    objects = manifests(render_dir, stack)
    assert len(objects) >= 15
    errors = []
    for name, manifest in objects:
        if str(manifest["apiVersion"]).startswith(CUSTOM_RESOURCE_GROUPS):
            continue
        try:
            kubernetes_validate.validate(manifest, version, strict=True)
        except kubernetes_validate.ValidationError as error:
            errors.append(f"{name}: {error.message} at {'.'.join(str(p) for p in error.path)}")
    assert errors == []


def test_strict_mode_catches_an_unknown_field() -> None:
    bad = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}, "date": {}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(bad, NEWEST, strict=True)
