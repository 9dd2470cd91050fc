"""Docker Gateway under mocks: a hardened, pinned Traefik as the single published entry, TLS key kept secret."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from components.docker.gateway import TRAEFIK_IMAGE, Gateway, GatewayArgs, ProvidedCertificate
from components.render import traefik
from components.spec import ServiceSpec
from infra.mock_runtime import REDACTED, Evaluation, evaluate

SERVICES = [
    ServiceSpec.model_validate(
        {"name": name, "image": f"ghcr.io/example/{name}:1.0.0", "transport": "streamable-http", "port": 8000}
    )
    for name in ("notes", "search")
]


def build(certificate: ProvidedCertificate | None = None, services: list[ServiceSpec] = SERVICES) -> Evaluation:
    def program() -> Gateway:
        return Gateway(
            "gateway",
            GatewayArgs(
                container_name="mcp-test-gateway",
                stack="test",
                services=services,
                internal_network="mcp-test-internal",
                gateway_network="mcp-test-gateway",
                address="127.0.0.1",
                port=8443,
                hostname="localhost",
                stream_timeout_seconds=3600,
                certificate=certificate,
            ),
        )

    return evaluate("test", {}, frozenset(), program)


def container(evaluation: Evaluation) -> dict[str, Any]:
    return evaluation.named("gateway-container", "docker:index/container:Container").inputs


def writer_of(evaluation: Evaluation) -> dict[str, Any]:
    return evaluation.named("gateway-config-writer", "docker:index/container:Container").inputs


def test_traefik_is_pinned_and_hardened() -> None:
    evaluation = build()
    assert evaluation.named("gateway-image").inputs["name"] == TRAEFIK_IMAGE == "docker.io/library/traefik:v3.6.25"
    c = container(evaluation)
    assert c["user"] == "65532:65532"
    assert c["readOnly"] is True
    assert c["capabilities"] == {"drops": ["ALL"]}
    assert c["securityOpts"] == ["no-new-privileges:true"]
    assert c["healthcheck"]["tests"] == ["CMD", "traefik", "healthcheck", "--ping"]
    assert c["volumes"] == [
        {"volumeName": "mcp-test-gateway-config", "containerPath": "/etc/traefik", "readOnly": True}
    ]
    assert "uploads" not in c


def test_configuration_is_written_by_a_container_that_never_runs() -> None:
    evaluation = build()
    writer = writer_of(evaluation)
    assert (writer["start"], writer["mustRun"]) == (False, False)
    assert writer["volumes"] == [{"volumeName": "mcp-test-gateway-config", "containerPath": "/etc/traefik"}]
    gateway = evaluation.named("gateway-container")
    assert "gateway-config-writer" in gateway.options["dependsOn"]
    assert (
        gateway.options["deleteBeforeReplace"]
        and evaluation.named("gateway-config-writer").options["deleteBeforeReplace"]
    )


def test_a_configuration_change_restarts_traefik(tmp_path: Path) -> None:
    # A provided certificate keeps the uploads readable (a generated key makes the whole list secret).
    provided = ProvidedCertificate(str(tmp_path / "cert.pem"), "a" * 64, str(tmp_path / "key.pem"), "b" * 64)

    def written(services: list[ServiceSpec]) -> Any:
        return writer_of(build(provided, services=services))["uploads"]

    assert written(SERVICES) == written(SERVICES)
    assert written(SERVICES) != written(SERVICES[:1])
    # A changed file replaces the writer, and Traefik with it, so it starts on the new configuration.
    assert build().named("gateway-container").options["replaceWith"] == ["gateway-config-writer"]


def test_only_the_gateway_port_is_published_on_loopback() -> None:
    c = container(build())
    assert c["ports"] == [{"internal": 8443, "external": 8443, "ip": "127.0.0.1", "protocol": "tcp"}]
    assert [n["name"] for n in c["networksAdvanced"]] == ["mcp-test-internal", "mcp-test-gateway"]


def test_self_signed_certificate_names_the_host_and_loopback_and_the_key_stays_secret() -> None:
    evaluation = build()
    certificate = evaluation.named("gateway-certificate", "tls:index/selfSignedCert:SelfSignedCert").inputs
    assert certificate["dnsNames"] == ["localhost"] and certificate["ipAddresses"] == ["127.0.0.1"]
    assert "server_auth" in certificate["allowedUses"]
    assert certificate["earlyRenewalHours"] < certificate["validityPeriodHours"]
    assert evaluation.named("gateway-key").inputs == {"algorithm": "ECDSA", "ecdsaCurve": "P256"}
    # The key is one of the uploads, so the whole upload list is secret in state and previews.
    assert writer_of(evaluation)["uploads"] == REDACTED
    assert "<mock private key PEM>" not in repr(evaluation.registrations)


def test_provided_certificate_files_are_uploaded_by_path_and_hash(tmp_path: Path) -> None:
    provided = ProvidedCertificate(
        certificate_file=str(tmp_path / "cert.pem"),
        certificate_sha256="a" * 64,
        key_file=str(tmp_path / "key.pem"),
        key_sha256="b" * 64,
    )
    evaluation = build(provided)
    assert not evaluation.of_type("tls:index/privateKey:PrivateKey")
    uploads = {upload["file"]: upload for upload in writer_of(evaluation)["uploads"]}
    assert set(uploads) == {traefik.STATIC_FILE, traefik.DYNAMIC_FILE, traefik.CERTIFICATE_FILE, traefik.KEY_FILE}
    assert uploads[traefik.KEY_FILE]["source"] == str(tmp_path / "key.pem")
    assert uploads[traefik.KEY_FILE]["sourceHash"] == "b" * 64
    assert "content" not in uploads[traefik.KEY_FILE]
    dynamic = yaml.safe_load(uploads[traefik.DYNAMIC_FILE]["content"])
    assert sorted(dynamic["http"]["routers"]) == ["notes", "search"]
    assert dynamic["http"]["services"]["notes"]["loadBalancer"]["servers"] == [{"url": "http://notes:8000"}]
