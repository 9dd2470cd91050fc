"""The worker's bundle per stack: a real run uploads it and refuses a missing one; a render stands in for it."""

from __future__ import annotations

from pathlib import Path

import pulumi
import pytest

import infra.targets.cloudflare as cloudflare_target
from components.render import edge_worker as render
from infra.stack_files import PROJECT_DIR
from tests.helpers.stacks import REQUIRED_SECRET_KEYS, REQUIRED_SECRETS, evaluate_stack


def test_a_real_run_uploads_the_bundle_the_worker_tests_ran() -> None:
    evaluation = evaluate_stack(
        "prod", overrides=REQUIRED_SECRETS, secret_keys=REQUIRED_SECRET_KEYS, placeholder_secrets=False
    )
    content = evaluation.named("edge-script").inputs["content"]
    assert content == (PROJECT_DIR / "edge" / "dist" / "worker.js").read_text(encoding="utf-8")


def test_a_credential_free_render_stands_in_for_the_bundle_by_its_inputs() -> None:
    content = evaluate_stack("staging").named("edge-script").inputs["content"]
    assert content == render.bundle_stand_in()
    assert content.startswith(f"{render.BUNDLE_HEADER_PREFIX}{render.bundle_inputs_digest()}\n")


def test_a_real_run_without_the_bundle_stops_naming_the_command(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(cloudflare_target, "worker_source", lambda: render.worker_source(tmp_path / "worker.js"))
    with pytest.raises(pulumi.RunError) as caught:
        evaluate_stack(
            "staging", overrides=REQUIRED_SECRETS, secret_keys=REQUIRED_SECRET_KEYS, placeholder_secrets=False
        )
    assert "edge/dist/worker.js is missing: run `scripts/edge-build`" in str(caught.value)
    assert "Traceback" not in str(caught.value)
