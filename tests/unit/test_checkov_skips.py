"""checkov skip annotations: only the skips a service's workload needs, numbered, each with its reason."""

from __future__ import annotations

from typing import Any

from components.render.checkov_skips import REASONS, skip_annotations, workload_skips
from components.spec import ServiceSpec

# Synthetic digest for a synthetic repository: test data, not a pin of any published image.
SYNTHETIC = "example.invalid/mcp/server:1.0.0@sha256:" + "0123456789abcdef" * 4


def spec(**fields: Any) -> ServiceSpec:
    return ServiceSpec.model_validate(
        {"name": "web", "image": "docker.io/example/web:1.2.3", "transport": "streamable-http", "port": 8000, **fields}
    )


def test_a_tag_pinned_image_skips_the_digest_check() -> None:
    assert set(workload_skips(spec())) == {"CKV_K8S_43"}


def test_a_digest_pinned_image_needs_no_digest_skip() -> None:
    assert workload_skips(spec(image=SYNTHETIC)) == {}


def test_secret_env_skips_the_secrets_as_files_check() -> None:
    assert "CKV_K8S_35" in workload_skips(spec(secretEnv=["API_TOKEN"]))


def test_annotations_are_numbered_in_check_order_with_their_reasons() -> None:
    assert skip_annotations(workload_skips(spec(secretEnv=["API_TOKEN"]))) == {
        "checkov.io/skip1": f"CKV_K8S_35={REASONS['CKV_K8S_35']}",
        "checkov.io/skip2": f"CKV_K8S_43={REASONS['CKV_K8S_43']}",
    }
