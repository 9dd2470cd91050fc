"""Signing and verification of the suite's images with cosign, against a local registry and a throwaway key:
what the deploy workflow does keyless, with the same scripts (scripts/sign-images, scripts/verify-images)."""

from __future__ import annotations

import base64
import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from infra.stack_files import PROJECT_DIR
from tests.helpers.docker_engine import built_image, docker, require_engine
from tests.helpers.processes import free_port, wait_for_port
from tests.helpers.tools import require_go_tool, require_tool

pytestmark = pytest.mark.slow
PASSWORD = "throwaway-test-key"


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A local registry (Debian's docker-registry) on loopback; Docker pushes to 127.0.0.1 over plain HTTP."""
    require_engine()
    root = tmp_path_factory.mktemp("registry")
    port = free_port()
    config = root / "config.yml"
    config.write_text(
        yaml.safe_dump(
            {
                "version": 0.1,
                "storage": {"filesystem": {"rootdirectory": str(root / "data")}},
                "http": {"addr": f"127.0.0.1:{port}"},
            }
        )
    )
    # Its log goes to a file: it writes a line per request, and an unread pipe would stall it.
    with (root / "registry.log").open("w") as log:
        process = subprocess.Popen(
            [require_tool("docker-registry"), "serve", str(config)], stdout=log, stderr=log, text=True
        )
        try:
            wait_for_port(port, process, "docker-registry")
            yield f"127.0.0.1:{port}"
        finally:
            process.terminate()
            process.wait(timeout=10)


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("keys")
    cosign = require_go_tool("cosign")
    environment = {**os.environ, "COSIGN_PASSWORD": PASSWORD}
    subprocess.run([cosign, "generate-key-pair"], cwd=folder, env=environment, check=True, capture_output=True)
    return folder / "cosign.key", folder / "cosign.pub"


def pushed(registry: str, server: str) -> str:
    """The server's image pushed to the local registry, as repository@sha256:... (what `pulumi up` returns)."""
    target = f"{registry}/mcp-suite/{server}:test"
    docker("tag", built_image(server), target)
    docker("push", "--quiet", target)
    digests: list[str] = json.loads(docker("image", "inspect", "--format", "{{json .RepoDigests}}", target))
    return next(digest for digest in digests if digest.startswith(f"{registry}/"))


def script(name: str, *args: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "COSIGN": require_go_tool("cosign"), "COSIGN_PASSWORD": PASSWORD}
    environment |= {"SOURCE_URI": "https://example.invalid/mcp-suite", "REVISION": "0" * 40, "BUILDER_ID": "test"}
    return subprocess.run(
        [str(PROJECT_DIR / "scripts" / name), *args],
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_a_signed_image_with_its_attestations_verifies_and_an_unsigned_or_foreign_one_does_not(
    registry: str, keys: tuple[Path, Path], tmp_path: Path
) -> None:
    private, public = keys
    signed = pushed(registry, "memory")
    result = script("sign-images", "--key", str(private), "--allow-http-registry", f"memory={signed}")
    assert result.returncode == 0, result.stderr
    verify = ("--key", str(public), "--allow-http-registry")
    result = script("verify-images", *verify, signed)
    assert result.returncode == 0, result.stderr
    assert f"verified {signed}: signature, SBOM and provenance" in result.stdout

    unsigned = pushed(registry, "sequential-thinking")
    result = script("verify-images", *verify, unsigned)
    assert result.returncode == 1
    assert f"{unsigned} is not signed" in result.stderr

    environment = {**os.environ, "COSIGN_PASSWORD": "other"}
    subprocess.run(
        [require_go_tool("cosign"), "generate-key-pair"], cwd=tmp_path, env=environment, check=True, capture_output=True
    )
    result = script("verify-images", "--key", str(tmp_path / "cosign.pub"), "--allow-http-registry", signed)
    assert result.returncode == 1, "a signature by another key is refused"

    tag_only = signed.split("@")[0] + ":test"
    result = script("verify-images", *verify, tag_only)
    assert result.returncode == 2 and "has no @sha256 digest; verify exactly what will run" in result.stderr


def test_the_attested_sbom_lists_the_packages_in_the_image(registry: str, keys: tuple[Path, Path]) -> None:
    private, public = keys
    image = pushed(registry, "filesystem")
    assert script("sign-images", "--key", str(private), "--allow-http-registry", f"filesystem={image}").returncode == 0
    flags = ["--key", str(public), "--insecure-ignore-tlog=true", "--allow-http-registry", "--type", "cyclonedx"]
    checked = subprocess.run(
        [require_go_tool("cosign"), "verify-attestation", *flags, image],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    envelope = json.loads(checked.stdout.splitlines()[0])
    statement = json.loads(base64.b64decode(envelope["payload"]))
    assert statement["subject"][0]["digest"]["sha256"] == image.split("@sha256:")[1]
    packages = {component["bom-ref"] for component in statement["predicate"]["components"]}
    # The server and the bridge's SDK, from the lockfiles the image was built from.
    assert {"@modelcontextprotocol/server-filesystem@2025.12.18", "@modelcontextprotocol/server@2.4.0"} <= packages


def test_the_deploy_workflow_verifies_what_it_signed_before_the_workloads_roll() -> None:
    workflow = yaml.safe_load((PROJECT_DIR / ".github" / "workflows" / "deploy.yml").read_text())
    for job in ("staging", "prod"):
        steps = workflow["jobs"][job]["steps"]
        names = [step.get("name", step.get("uses", "")) for step in steps]
        order = [
            next(index for index, name in enumerate(names) if name.startswith(prefix))
            for prefix in ("Build and push the images", "Sign the images", "Verify the images", "pulumi up --stack")
        ]
        assert order == sorted(order), (job, names)
        verify = steps[order[2]]["run"]
        assert "scripts/verify-images --identity-regexp" in verify and "--issuer" in verify
        assert workflow["jobs"][job]["permissions"]["id-token"] == "write"
