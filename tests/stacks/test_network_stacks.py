"""Network settings through the whole program: gateway certificate files, exported URLs."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pulumi
import pytest

from tests.helpers.stacks import evaluate_stack


def test_dev_serves_provided_certificate_files_and_tracks_their_content(tmp_path: Path) -> None:
    certificate, key = tmp_path / "dev.pem", tmp_path / "dev-key.pem"
    certificate.write_text("certificate")
    key.write_text("key")
    gateway = {"gateway": {"certificateFile": str(certificate), "keyFile": str(key), "port": 9443}}
    evaluation = evaluate_stack("dev", overrides={"network": gateway})
    container = evaluation.named("gateway-container").inputs
    writer = evaluation.named("gateway-config-writer").inputs
    uploads = {upload["file"]: upload for upload in writer["uploads"]}
    assert uploads["/etc/traefik/key.pem"]["sourceHash"] == hashlib.sha256(b"key").hexdigest()
    assert uploads["/etc/traefik/certificate.pem"]["source"] == str(certificate)
    assert container["ports"][0]["external"] == 9443
    assert not evaluation.of_type("tls:index/selfSignedCert:SelfSignedCert")


def test_a_missing_certificate_file_is_a_clear_error(tmp_path: Path) -> None:
    missing = str(tmp_path / "nope.pem")
    gateway = {"gateway": {"certificateFile": missing, "keyFile": missing}}
    with pytest.raises(pulumi.RunError) as caught:
        evaluate_stack("dev", overrides={"network": gateway})
    assert str(caught.value) == (
        f"mcp-suite:network.gateway.certificateFile: cannot read {missing!r} (No such file or directory); "
        "give the path of a PEM file on this machine"
    )


def exported(stack: str) -> dict[str, object]:
    """The stack's outputs, resolved while the program's event loop runs (the mocks then report their values)."""
    resolved: dict[str, object] = {}
    original = pulumi.export

    def capture(name: str, value: object) -> None:
        pulumi.Output.from_input(value).apply(lambda plain: resolved.setdefault(name, plain))
        original(name, value)

    pulumi.export = capture  # type: ignore[assignment]
    try:
        evaluate_stack(stack)
    finally:
        pulumi.export = original  # type: ignore[assignment]
    return resolved


SERVICES = ("everything", "filesystem", "memory", "sequential-thinking")


@pytest.mark.parametrize(
    ("stack", "base"),
    [
        ("dev", "https://127.0.0.1:8443"),
        ("staging", "https://mcp-origin.staging.example.com"),
        ("prod", "https://mcp-origin.example.com"),
    ],
)
def test_every_stack_exports_the_public_mcp_url_of_each_service(stack: str, base: str) -> None:
    assert exported(stack)["urls"] == {name: f"{base}/{name}/mcp" for name in SERVICES}


@pytest.mark.parametrize(
    ("stack", "edge"), [("staging", "https://mcp-staging.example.com"), ("prod", "https://mcp-prod.example.com")]
)
def test_stacks_with_the_edge_export_each_service_s_endpoint_at_the_edge(stack: str, edge: str) -> None:
    outputs = exported(stack)
    assert outputs["edgeUrl"] == edge
    assert outputs["edgeEndpoints"] == {name: f"{edge}/{name}/mcp" for name in SERVICES}
