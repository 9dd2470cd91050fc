"""The stand-ins of the images the dev stack pulls (images/fixtures/build-standins): each built from the release the
program pins, and run exactly as the dev stack declares its container, answering what the program relies on.

They are test fixtures, never pushed to a registry anyone pulls from and never deployed: where the tests run the engine
cannot pull, so the dev stack's end-to-end tests run on these (docs/standins.md says what each one lacks).
"""

from __future__ import annotations

import io
import json
import os
import re
import secrets
import subprocess
import tarfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from components.docker.gateway import TRAEFIK_IMAGE
from components.docker.storage_volumes import BACKUP_REPOSITORY, volume_name
from components.render.backup import RESTIC_IMAGE
from components.render.monitoring.docker_stack import ALERTMANAGER_IMAGE, BLACKBOX_IMAGE, PROMETHEUS_IMAGE
from infra.backup_operations import restore_docker
from infra.mock_runtime import Registration
from infra.settings.load import load_settings
from infra.stack_files import PROJECT_DIR, read_stack_config
from tests.helpers.docker_engine import docker, health_command, require_engine, run_flags
from tests.helpers.stacks import rendered
from tests.helpers.tools import require_tool

STANDINS = PROJECT_DIR / "images" / "fixtures" / "standins"
BUILD_STANDINS = PROJECT_DIR / "images" / "fixtures" / "build-standins"
REGISTRY_MIRROR = PROJECT_DIR / "scripts" / "registry-mirror"
CONTAINER = "docker:index/container:Container"
REMOTE_IMAGE = "docker:index/remoteImage:RemoteImage"

PINS = {
    "prometheus": PROMETHEUS_IMAGE,
    "alertmanager": ALERTMANAGER_IMAGE,
    "blackbox": BLACKBOX_IMAGE,
    "traefik": TRAEFIK_IMAGE,
    "restic": RESTIC_IMAGE,
}
"""Each stand-in and the program's own pin it stands in for: the single source of its repository and version."""

WITHOUT_STANDIN = {
    "docker.io/grafana/grafana": "AGPL, which this project does not take; its module is refused anyway",
    "docker.io/grafana/loki": "AGPL, which this project does not take",
    "docker.io/grafana/alloy": "its Go module is refused",
    "docker.io/jaegertracing/jaeger": "tracing is off in the dev stack",
}
"""Images the dev stack may pull that have no stand-in, and why; the end-to-end stack turns them off."""

# Container settings `run_flags` leaves to each test: the program's uploads are copied in as the provider does, the
# entrypoint and network mode are set here, the tests reach containers by address rather than published ports, and
# a one-off container (`attach`, `mustRun`) is started attached and its exit code checked.
SET_HERE = ("uploads", "entrypoints", "networkMode", "ports", "attach", "mustRun")


def read_standin(name: str) -> dict[str, str]:
    """A .standin file's `key=value` lines."""
    entries = {}
    for line in (STANDINS / f"{name}.standin").read_text().splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            entries[key] = value
    return entries


def standin_names() -> list[str]:
    return sorted(path.stem for path in STANDINS.glob("*.standin"))


def without_digest(reference: str) -> str:
    return reference.split("@", 1)[0]


def module_version(tag: str, module: str) -> str:
    """The Go module version of a release tag: Prometheus publishes 3.X.Y as v0.3XX.Y, the others as the tag."""
    version = tag if tag.startswith("v") else f"v{tag}"
    if module == "github.com/prometheus/prometheus":
        major, minor, patch = (int(part) for part in version[1:].split("."))
        return f"v0.{major * 100 + minor}.{patch}"
    return version


def test_each_standin_is_built_from_the_release_the_program_pins() -> None:
    assert standin_names() == sorted(PINS)
    for name, pin in PINS.items():
        standin = read_standin(name)
        reference = without_digest(pin)
        assert standin["image"] == reference, f"{name}.standin names {standin['image']}, the program pins {pin}"
        tag = reference.rsplit(":", 1)[1]
        assert standin["version"] == module_version(tag, standin["module"]), (
            f"{name}.standin builds {standin['module']}@{standin['version']}, but the program pins {tag}: "
            "move the stand-in to the pinned release"
        )


def test_every_image_the_dev_stack_pulls_has_a_standin_or_a_reason() -> None:
    standins = {read_standin(name)["image"] for name in PINS}
    for registration in rendered("dev").of_type(REMOTE_IMAGE):
        reference = without_digest(registration.inputs["name"])
        repository = reference.rsplit(":", 1)[0]
        assert reference in standins or repository in WITHOUT_STANDIN, f"no stand-in for {reference}"


@cache
def standin(name: str) -> str:
    """One stand-in built (cold: a minute to a few; warm: seconds): its reference, as the program pins it."""
    require_engine()
    require_tool("go")
    if read_standin(name)["ui"].startswith("prometheus-mantine"):
        require_tool("npm")
    result = subprocess.run([str(BUILD_STANDINS), name], capture_output=True, text=True, timeout=3600, check=False)
    assert result.returncode == 0, f"build-standins {name} failed:\n{result.stderr[-4000:]}"
    assert result.stdout.split() == [read_standin(name)["image"]]
    return result.stdout.strip()


def every_standin() -> list[str]:
    return [standin(name) for name in standin_names()]


@pytest.mark.slow
def test_each_standin_has_its_upstream_images_layout_and_says_it_is_a_fixture() -> None:
    for name, reference in zip(standin_names(), every_standin(), strict=True):
        standin = read_standin(name)
        config = json.loads(docker("image", "inspect", reference))[0]["Config"]
        assert config["Entrypoint"] == standin["entrypoint"].split(), name
        assert (config["Cmd"] or []) == standin["cmd"].split(), name
        assert config["User"] == standin["user"] and config["WorkingDir"] == standin["workdir"], name
        assert config["Labels"]["io.mcp-suite.standin.module"] == f"{standin['module']}@{standin['version']}"
        assert config["Labels"]["org.opencontainers.image.description"].startswith("Test fixture stand-in")
        # What the program's health checks and scripts call: busybox sh and wget on PATH, as upstream's bases have.
        found = docker(
            "run", "--rm", "--network", "none", "--entrypoint", "/bin/sh", reference, "-c",
            "which wget chown find; test -s /etc/ssl/certs/ca-certificates.crt && echo ca; stat -c %u "
            + " ".join(standin["owned"].split() or ["/"]),
        )  # fmt: skip
        lines = found.splitlines()
        assert lines[:4] == ["/bin/wget", "/bin/chown", "/bin/find", "ca"], (name, lines)
        # Owned by the image's user, so a fresh volume mounted there copies that owner (upstream's `chown -R`).
        assert set(lines[4:]) == {"65534" if standin["owned"] else "0"}, (name, lines)


def dev_container(name: str) -> dict[str, Any]:
    """A container of the dev stack as the program declares it, secrets included (placeholders of the render)."""
    registration: Registration = rendered("dev").named(name, CONTAINER)
    return registration.policy_inputs


@dataclass
class Started:
    name: str
    volumes: dict[str, str]

    def address(self) -> str:
        networks = json.loads(docker("inspect", self.name))[0]["NetworkSettings"]["Networks"]
        return str(next(iter(networks.values()))["IPAddress"])


class Containers:
    """Containers and volumes of one test, created under a random prefix and removed at its end."""

    def __init__(self) -> None:
        self.prefix = f"standin-test-{secrets.token_hex(4)}"
        self.names: list[str] = []
        self.volumes: list[str] = []
        self.network = ""

    def internal_network(self) -> str:
        """A network with no route out, like the stack's internal one; the host reaches its containers."""
        if not self.network:
            docker("network", "create", "--internal", f"{self.prefix}-net")
            self.network = f"{self.prefix}-net"
        return self.network

    def volume(self, name: str) -> str:
        volume = f"{self.prefix}-{name}"
        if volume not in self.volumes:
            docker("volume", "create", volume)
            self.volumes.append(volume)
        return volume

    def create(self, role: str, container: Mapping[str, Any], image: str, *, network: str | None = None) -> Started:
        """`docker create` with the program's settings for the container, its uploads copied in, not started."""
        volumes = {mount["volumeName"]: self.volume(mount["volumeName"]) for mount in container.get("volumes", [])}
        settings = {key: value for key, value in container.items() if key not in SET_HERE}
        # A mount the program declares without `readOnly` is writable, as the provider reads it.
        settings["volumes"] = [{"readOnly": False, **mount} for mount in container.get("volumes", [])]
        flags = run_flags(settings, volumes)
        entrypoint: list[str] = list(container.get("entrypoints") or [])
        if entrypoint:
            flags += ["--entrypoint", entrypoint[0]]
        if container.get("networkMode") == "none":
            flags += ["--network", "none"]
        elif network is not None:
            flags += ["--network", network]
        name = f"{self.prefix}-{role}"
        docker("create", "--name", name, *flags, image, *entrypoint[1:], *container.get("command", []))
        self.names.append(name)
        mounts = [mount["containerPath"] for mount in container.get("volumes", [])]
        for directory, archive in upload_archives(container.get("uploads", []), mounts).items():
            subprocess.run(["docker", "cp", "-", f"{name}:{directory}"], input=archive, check=True, timeout=60)
        return Started(name=name, volumes=volumes)

    def start(self, started: Started, health: list[str]) -> Started:
        """Start it and wait for the program's own health check to pass inside it."""
        docker("start", started.name)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            probe = subprocess.run(["docker", "exec", started.name, *health], capture_output=True, timeout=30)
            if probe.returncode == 0:
                return started
            time.sleep(1)
        logs = docker("logs", started.name, check=False)
        raise AssertionError(f"{started.name} never passed its health check {health}:\n{logs[-4000:]}")

    def remove(self) -> None:
        for name in self.names:
            docker("rm", "--force", name, check=False)
        for volume in self.volumes:
            docker("volume", "rm", volume, check=False)
        if self.network:
            docker("network", "rm", self.network, check=False)


def upload_archives(uploads: list[Mapping[str, Any]], mounts: list[str]) -> dict[str, bytes]:
    """The provider's uploads as one tar stream per volume they land in: Docker takes a copy into a container with a
    read-only root only when its target is a writable volume."""
    by_mount: dict[str, list[tuple[str, Mapping[str, Any]]]] = {}
    for upload in uploads:
        mount = max((m for m in mounts if upload["file"].startswith(f"{m}/")), key=len, default=None)
        assert mount is not None, f"the upload {upload['file']} lands in no volume"
        by_mount.setdefault(mount, []).append((upload["file"].removeprefix(f"{mount}/"), upload))
    archives = {}
    for mount, entries in by_mount.items():
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w") as archive:
            for path, upload in entries:
                content = upload["content"].encode()
                info = tarfile.TarInfo(path)
                info.size = len(content)
                info.mode = int(upload.get("permissions") or "0644", 8)
                archive.addfile(info, io.BytesIO(content))
        archives[mount] = buffer.getvalue()
    return archives


@pytest.fixture
def containers() -> Iterator[Containers]:
    require_engine()
    created = Containers()
    yield created
    created.remove()


def get(url: str, timeout: float = 10) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def config_writers(container: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The dev stack's never-started containers that receive generated files into a volume `container` mounts."""
    volumes = {mount.get("volumeName") for mount in container.get("volumes", [])} - {None}
    return [
        registration.policy_inputs
        for registration in rendered("dev").of_type(CONTAINER)
        if registration.policy_inputs.get("start") is False
        and volumes & {mount.get("volumeName") for mount in registration.policy_inputs.get("volumes", [])}
    ]


def start_as_declared(
    containers: Containers, role: str, name: str, image: str, replaced: Mapping[str, str] | None = None
) -> Started:
    """A container of the dev stack with its settings and generated files, on the internal network, started and
    healthy. `replaced` swaps the content of uploaded files by file name (the render's placeholder certificate)."""
    container = dev_container(name)
    for index, writer in enumerate(config_writers(container)):
        uploads = [
            {**upload, "content": (replaced or {}).get(Path(upload["file"]).name, upload["content"])}
            for upload in writer.get("uploads", [])
        ]
        containers.create(f"{role}-config-{index}", {"volumes": writer["volumes"], "uploads": uploads}, image)
    started = containers.create(role, container, image, network=containers.internal_network())
    return containers.start(started, health_command(container))


def monitoring_container(containers: Containers, role: str) -> Started:
    """A monitoring container as the dev stack runs it, with its generated configuration, started."""
    return start_as_declared(containers, role, f"monitoring-{role}", standin(role))


@pytest.mark.slow
def test_prometheus_runs_the_programs_configuration_and_reports_the_pinned_version(containers: Containers) -> None:
    started = monitoring_container(containers, "prometheus")
    base = f"http://{started.address()}:9090"
    assert get(f"{base}/-/ready")[0] == 200
    status, body = get(f"{base}/api/v1/status/buildinfo")
    assert status == 200
    assert json.loads(body)["data"]["version"] == PROMETHEUS_IMAGE.rsplit(":v", 1)[1]
    # The program's alerting and recording rules load in this release, and the TSDB is writable as nobody.
    rules = json.loads(get(f"{base}/api/v1/rules")[1])["data"]["groups"]
    assert rules, "Prometheus loaded none of the program's rule groups"
    assert "prometheus_tsdb_head_series" in get(f"{base}/metrics")[1]
    assert get(f"{base}/query")[0] == 200, "the web UI (built into the binary) does not answer"


@pytest.mark.slow
def test_alertmanager_runs_the_programs_configuration_and_reports_the_pinned_version(containers: Containers) -> None:
    started = monitoring_container(containers, "alertmanager")
    base = f"http://{started.address()}:9093"
    assert get(f"{base}/-/ready")[0] == 200
    status, body = get(f"{base}/api/v2/status")
    assert status == 200
    reported = json.loads(body)
    assert reported["versionInfo"]["version"] == ALERTMANAGER_IMAGE.rsplit(":v", 1)[1]
    assert reported["config"]["original"], "Alertmanager reports no configuration"
    amtool = docker("exec", started.name, "amtool", "check-config", "/etc/mcp-monitoring/alertmanager.yml")
    assert "SUCCESS" in amtool


@pytest.mark.slow
def test_blackbox_exporter_runs_the_programs_modules(containers: Containers) -> None:
    started = monitoring_container(containers, "blackbox")
    base = f"http://{started.address()}:9115"
    assert get(f"{base}/-/healthy")[0] == 200
    version = BLACKBOX_IMAGE.rsplit(":v", 1)[1]
    assert re.search(rf'blackbox_exporter_build_info\{{[^}}]*version="{re.escape(version)}"', get(f"{base}/metrics")[1])


def self_signed_certificate(directory: Path) -> dict[str, str]:
    """A real certificate and key for the gateway (the render's are placeholders), as the stack's tls provider makes."""
    openssl = require_tool("openssl")
    subprocess.run(
        [
            openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1",
            "-subj", "/CN=localhost", "-keyout", str(directory / "key.pem"), "-out", str(directory / "cert.pem"),
        ],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return {"certificate.pem": (directory / "cert.pem").read_text(), "key.pem": (directory / "key.pem").read_text()}


@pytest.mark.slow
def test_traefik_takes_the_programs_configuration_and_answers_its_health_check(
    containers: Containers, tmp_path: Path
) -> None:
    image = standin("traefik")
    started = start_as_declared(containers, "gateway", "gateway-container", image, self_signed_certificate(tmp_path))
    address = started.address()
    assert get(f"http://{address}:8082/ping") == (200, "OK")
    assert "traefik_" in get(f"http://{address}:8082/metrics")[1]
    # Through the image's entrypoint, as `docker run traefik version` runs it.
    version = docker("run", "--rm", "--network", "none", image, "version")
    assert re.search(rf"Version:\s+{re.escape(TRAEFIK_IMAGE.rsplit(':v', 1)[1])}\n", version), version
    assert "Codename:" in version


@pytest.mark.slow
def test_restic_hands_over_the_volumes_and_runs_the_programs_backup_script(containers: Containers) -> None:
    image = standin("restic")
    assert docker("run", "--rm", "--network", "none", image, "version").startswith(
        f"restic {without_digest(RESTIC_IMAGE).rsplit(':', 1)[1]} "
    )
    # The program's one-off hand-over of the volumes to their owner: busybox sh and chown, root with CHOWN only.
    ownership = dev_container("storage-ownership")
    handed = containers.create("ownership", ownership, image)
    docker("start", "--attach", handed.name)
    assert docker("inspect", "--format", "{{.State.ExitCode}}", handed.name) == "0"
    memory_graph = handed.volumes[
        next(m["volumeName"] for m in ownership["volumes"] if m["volumeName"].endswith("-memory-graph"))
    ]
    docker(
        "run", "--rm", "--user", "10001:10001", "--network", "none", "--volume", f"{memory_graph}:/data",
        "--entrypoint", "/bin/sh", image, "-c", "echo '{\"entities\": []}' > /data/memory.json",
    )  # fmt: skip
    backups = dev_container("backups-container")
    started = containers.create("backups", backups, image)
    health = backups["healthcheck"]["tests"]
    assert health[0] == "CMD-SHELL", health
    containers.start(started, ["/bin/sh", "-c", health[1]])
    # The backup script the schedule runs (and `backup-now`): init, backup, forget --prune, check, metric.
    result = subprocess.run(
        ["docker", "exec", started.name, "sh", "/tmp/mcp-backup.sh", "memory-graph"],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "== volume backups succeeded" in result.stdout
    snapshots = json.loads(
        docker(
            "exec", "--env", "RESTIC_REPOSITORY=/repository/memory-graph", started.name, "restic", "snapshots", "--json"
        )
    )
    assert [(s["hostname"], sorted(s["tags"])) for s in snapshots] == [
        ("mcp-dev-memory-graph", ["mcp-suite", "memory-graph"])
    ]
    metric = docker("exec", started.name, "cat", "/status/memory-graph.prom")
    assert re.search(r'^mcp_backup_last_success_timestamp_seconds\{volume="memory-graph"\} \d+$', metric, re.M)
    # The runbook's restore (`python -m infra restore`) into a fresh volume: /bin/chown hands it over, then the
    # restore script (find, grep, restic restore --verify). The stack must name the stand-in by tag: no rebuild has
    # the pin's index digest.
    config = read_stack_config("dev")
    values = {**config.values, "mcp-suite:backup": json.dumps({"image": without_digest(RESTIC_IMAGE)})}
    settings = load_settings("dev", values, config.secret_keys, placeholder_secrets=True)
    restored = f"{containers.prefix}-restored"
    containers.volumes.append(restored)
    script = restore_docker(settings, "memory-graph", "latest", restored, False).replace(
        volume_name(settings.name_prefix, BACKUP_REPOSITORY), started.volumes[volume_name("mcp-dev", BACKUP_REPOSITORY)]
    )
    password = next(entry for entry in backups["envs"] if entry.startswith("RESTIC_PASSWORD="))
    restore = subprocess.run(
        ["bash", "-c", script], env={**os.environ, "RESTIC_PASSWORD": password.partition("=")[2]},
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert restore.returncode == 0, restore.stdout + restore.stderr
    assert (
        docker(
            "run",
            "--rm",
            "--network",
            "none",
            "--volume",
            f"{restored}:/r",
            "--entrypoint",
            "cat",
            image,
            "/r/memory.json",
        )
        == '{"entities": []}'
    )


def registry_answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/v2/", timeout=5) as response:
            return response.status == 200
    except OSError:
        return False


@pytest.fixture
def registry_mirror() -> Iterator[str]:
    """The registry mirror with every stand-in pushed; started for the test, unless one already runs."""
    require_engine()
    require_tool("docker-registry")
    url = f"http://127.0.0.1:{os.environ.get('MCP_SUITE_MIRROR_PORT', '5000')}"
    started = not registry_answers(url)
    if started:
        subprocess.run([str(REGISTRY_MIRROR), "start"], check=True, capture_output=True, timeout=120)
    try:
        every_standin()
        result = subprocess.run(
            [str(REGISTRY_MIRROR), "push"], capture_output=True, text=True, timeout=3600, check=False
        )
        assert result.returncode == 0, result.stderr
        yield url
    finally:
        if started:
            subprocess.run([str(REGISTRY_MIRROR), "stop"], check=False, capture_output=True, timeout=60)


def manifest_digest(url: str, reference: str) -> str:
    """The digest the mirror serves for a docker.io reference, at Docker Hub's path for it."""
    repository, tag = reference.removeprefix("docker.io/").rsplit(":", 1)
    request = urllib.request.Request(
        f"{url}/v2/{repository}/manifests/{tag}",
        method="HEAD",
        headers={"Accept": "application/vnd.docker.distribution.manifest.v2+json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return str(response.headers["Docker-Content-Digest"])


def engine_pulls_through(url: str) -> bool:
    mirrors = json.loads(docker("info", "--format", "{{json .RegistryConfig.Mirrors}}") or "null") or []
    return f"{url}/" in mirrors


# One test, so that no other worker stops the registry it started while this one still pulls.
@pytest.mark.slow
def test_the_mirror_serves_each_standin_at_its_docker_hub_path_and_the_engine_pulls_it_from_there(
    registry_mirror: str,
) -> None:
    served = {reference: manifest_digest(registry_mirror, reference) for reference in every_standin()}
    assert all(digest.startswith("sha256:") for digest in served.values()), served
    if not engine_pulls_through(registry_mirror):
        message = (
            f"this Docker engine has no registry mirror {registry_mirror} (scripts/registry-mirror start says how)"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    for reference, digest in served.items():
        docker("pull", "--quiet", reference, timeout=600)
        digests = json.loads(docker("image", "inspect", "--format", "{{json .RepoDigests}}", reference))
        repository = reference.removeprefix("docker.io/").removeprefix("library/").rsplit(":", 1)[0]
        assert f"{repository}@{digest}" in digests, (reference, digests)
