"""The product end to end with the real engine: `scripts/dev-up --stack e2e` deploys the dev catalog to the real
Docker engine with `pulumi up` and the policy pack, and real MCP clients use what it deployed.

The e2e stack (Pulumi.e2e.yaml) is dev on a machine without a container registry: the suite's images build on the
stand-in bases, the pulled images come from a local mirror of stand-ins built from the same releases (test
fixtures, images/fixtures/build-standins), and Grafana, Loki and Alloy, which cannot be had there, are off.
Every test here runs against the one deployment, in order; the last ones destroy it.
"""

from __future__ import annotations

import json
import os
import ssl
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bench.probes import Probe
from components.render.image_build import PROJECT_DIR
from infra.settings import load_settings
from infra.stack_files import read_stack_config
from infra.tool_surface import read_manifest, recorded_tool_names
from tests.helpers.catalog_calls import CALLS, ECHOED, visit_plan
from tests.helpers.docker_engine import docker, require_engine, stand_in_bases
from tests.helpers.engine import Project, Run, engine_environment, project_copy
from tests.helpers.tools import require_venv_tool

pytestmark = pytest.mark.slow
STACK = "e2e"
PREFIX = f"mcp-{STACK}"
GATEWAY = "https://127.0.0.1:8443"
PEERS = Path(__file__).resolve().parent / "peers"
BACKUP_IMAGE = "docker.io/restic/restic:0.18.1"
"""The e2e stack's restic (Pulumi.e2e.yaml); its busybox reads and empties volumes for the backup test."""
MIRRORED = (
    "docker.io/restic/restic:0.18.1",
    "docker.io/prom/prometheus:v3.15.0",
    "docker.io/prom/alertmanager:v0.34.1",
    "docker.io/prom/blackbox-exporter:v0.28.0",
)


@dataclass
class Deployment:
    project: Project
    up: Run
    up_seconds: float
    ca_file: Path

    def pulumi(self, *args: str, timeout: float = 900, check: bool = True) -> Run:
        return self.project.pulumi(*args, "--stack", STACK, timeout=timeout, check=check)


def stand_ins_are_served() -> None:
    """The stand-ins built and served by the local mirror (.ci/run starts it and points dockerd at it;
    tests/images/test_standins.py shows the engine pulling through it)."""
    result = subprocess.run(
        [str(PROJECT_DIR / "scripts" / "registry-mirror"), "push"], capture_output=True, text=True, timeout=3600
    )
    if result.returncode != 0:
        pytest.fail(f"scripts/registry-mirror push failed:\n{result.stderr[-4000:]}")
    for reference in MIRRORED:
        docker("image", "inspect", reference)


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    require_engine()
    engine_environment()
    require_venv_tool("mcp", "python")
    stand_in_bases()
    stand_ins_are_served()
    project = project_copy(tmp_path_factory.mktemp("e2e"))
    started = time.monotonic()
    up = project.script(
        "scripts/dev-up", "--stack", STACK, timeout=2400, env={"MCP_SUITE_STATE_DIR": str(project.state)}
    )
    seconds = time.monotonic() - started
    ca_file = project.directory / "gateway.pem"
    deployment = Deployment(project, up, seconds, ca_file)
    try:
        assert up.returncode == 0, up.explain()
        ca_file.write_text(json.loads(deployment.pulumi("stack", "output", "--json").stdout)["gatewayCertificate"])
        yield deployment
    finally:
        deployment.pulumi("destroy", "--yes", timeout=900, check=False)


def peer(script: str, *args: str, stdin: str | None = None, timeout: float = 300) -> Any:
    """Run one of the MCP SDK peers (tests/e2e/peers) with the SDK's own interpreter; its JSON output."""
    result = subprocess.run(
        [require_venv_tool("mcp", "python"), str(PEERS / script), *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    return json.loads(result.stdout)


def suite_containers() -> list[dict[str, Any]]:
    ids = docker("ps", "-aq", "--filter", f"label=mcp-suite/stack={STACK}").split()
    return json.loads(docker("inspect", *ids)) if ids else []


def part_of(container: dict[str, Any]) -> str:
    """The service a container runs (its name label: services replaced side by side have generated names), or the
    part of the suite its fixed name says (gateway, prometheus, ...)."""
    name: str | None = container["Config"]["Labels"].get("app.kubernetes.io/name")
    return name if name is not None else str(container["Name"]).removeprefix(f"/{PREFIX}-")


def started_containers() -> dict[str, dict[str, Any]]:
    """Each part's container, config writers (never started) left out; a part must have exactly one."""
    started = [entry for entry in suite_containers() if entry["State"]["StartedAt"] != "0001-01-01T00:00:00Z"]
    parts = [part_of(entry) for entry in started]
    assert len(parts) == len(set(parts)), f"more than one container of a part: {sorted(parts)}"
    return dict(zip(parts, started, strict=True))


def unhealthy(expected: set[str]) -> dict[str, str]:
    """The parts among `expected` whose container is not running and healthy, with what Docker says of it."""
    containers = {part: entry["State"] for part, entry in started_containers().items()}
    assert expected <= set(containers), sorted(containers)
    return {
        part: state.get("Health", {}).get("Status", state["Status"])
        for part, state in containers.items()
        if part in expected and (state["Status"] != "running" or state.get("Health", {}).get("Status") != "healthy")
    }


def test_up_runs_every_container_healthy(deployment: Deployment) -> None:
    # `up` itself waits for the services, the gateway and monitoring; the backup scheduler's first check runs a
    # minute after it starts.
    waited = {*CALLS, "gateway", "prometheus", "alertmanager", "blackbox"}
    assert unhealthy(waited) == {}, deployment.up.output[-4000:]
    print(f"\nup from empty to all healthy: {deployment.up_seconds:.0f} s")
    wait_healthy("backup", seconds=150)


def test_nothing_changes_right_after_up(deployment: Deployment) -> None:
    preview = deployment.pulumi("preview", "--expect-no-changes", "--policy-pack", "policy", check=False)
    assert preview.returncode == 0, preview.explain()
    again = deployment.pulumi("up", "--yes", "--expect-no-changes", "--policy-pack", "policy", check=False)
    assert again.returncode == 0, again.explain()


def expected_tools() -> dict[str, list[str]]:
    config = read_stack_config(STACK)
    settings = load_settings(STACK, config.values, config.secret_keys, placeholder_secrets=True)
    return recorded_tool_names(settings.services, read_manifest(PROJECT_DIR))


def catalog_plan() -> str:
    """The catalog peers' plan: each service's gateway URL and its harmless call, as JSON."""
    return json.dumps(visit_plan({service: f"{GATEWAY}/{service}/mcp" for service in CALLS}))


def every_service_answered(visits: dict[str, Any], client: str) -> None:
    """What a catalog peer reports: every service listed exactly its recorded tools and answered its call."""
    assert not [visit for visit in visits.values() if "failed" in visit], visits
    assert {service: visit["tools"] for service, visit in visits.items()} == expected_tools()
    assert {service: visit["error"] for service, visit in visits.items()} == dict.fromkeys(CALLS, False), visits
    assert ECHOED in " ".join(visits["everything"]["text"])
    print(f"\n{client}: {sum(visit['retries'] for visit in visits.values())} visits retried after a broken exchange")


REVISIONS = {"auto": "2026-07-28", "legacy": "2025-11-25"}
"""What each mode of the SDK clients speaks to the catalog: the bridge serves both revisions."""


@pytest.mark.parametrize("mode", REVISIONS)
def test_real_clients_use_every_service_through_the_gateway(deployment: Deployment, mode: str) -> None:
    visits = peer("catalog_client.py", str(deployment.ca_file), mode, stdin=catalog_plan())
    every_service_answered(visits, f"Python SDK, {mode}")
    assert {service: visit["protocol"] for service, visit in visits.items()} == dict.fromkeys(CALLS, REVISIONS[mode])


@pytest.mark.parametrize("mode", REVISIONS)
def test_the_typescript_sdk_uses_every_service_through_the_gateway(deployment: Deployment, mode: str) -> None:
    installed = subprocess.run(
        [str(PROJECT_DIR / "scripts" / "e2e-peers")], capture_output=True, text=True, timeout=600, check=False
    )
    assert installed.returncode == 0, installed.stderr[-4000:]
    result = subprocess.run(
        ["node", str(PEERS / "typescript" / "catalog_client.mjs"), str(deployment.ca_file), mode],
        input=catalog_plan(), capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-4000:]
    visits = json.loads(result.stdout)
    every_service_answered(visits, f"TypeScript SDK, {mode}")
    assert {service: visit["protocol"] for service, visit in visits.items()} == dict.fromkeys(CALLS, REVISIONS[mode])


def test_concurrent_sessions_lose_no_write(deployment: Deployment) -> None:
    sessions, writes = 4, 25
    outcome = peer(
        "concurrent_writes.py",
        f"{GATEWAY}/memory/mcp",
        str(deployment.ca_file),
        str(sessions),
        str(writes),
        "concurrent",
        timeout=600,
    )
    planned = {f"concurrent-{session}-{write}" for session in range(sessions) for write in range(writes)}
    acknowledged, found = set(outcome["acknowledged"]), set(outcome["found"])
    assert acknowledged | {name for name, _ in outcome["failed"]} == planned
    # Every write the service acknowledged is in the graph, and nothing else is.
    assert acknowledged <= found <= planned
    # Through the gateway a few exchanges break on a reused connection (docs/real-engine.md, open defect): the
    # client cannot tell whether those writes happened, so they are counted, not asserted away.
    print(f"\n{len(acknowledged)} of {len(planned)} writes acknowledged, {len(outcome['failed'])} exchanges broken")


def memory_entities(deployment: Deployment, prefix: str) -> set[str]:
    """Names of the memory graph's entities that start with `prefix`, read through the gateway."""
    found = peer("concurrent_writes.py", f"{GATEWAY}/memory/mcp", str(deployment.ca_file), "0", "0", prefix)
    return set(found["found"])


def wait_healthy(part: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while unhealthy({part}) and time.monotonic() < deadline:
        time.sleep(2)
    assert unhealthy({part}) == {}


def test_stateful_data_survives_an_env_change_and_a_restart(deployment: Deployment) -> None:
    written = memory_entities(deployment, "concurrent")
    assert written, "the concurrency test writes first"
    key = "serviceOverrides.memory.env.MCP_SUITE_E2E_MARK"
    deployment.pulumi("config", "set", "--path", key, "changed")
    changed = deployment.pulumi("up", "--yes", "--policy-pack", "policy")
    assert "memory-container" in changed.output
    environment = docker("inspect", f"{PREFIX}-memory", "--format", "{{json .Config.Env}}")
    assert "MCP_SUITE_E2E_MARK=changed" in environment
    assert memory_entities(deployment, "concurrent") == written
    docker("restart", f"{PREFIX}-memory")
    wait_healthy("memory")
    assert memory_entities(deployment, "concurrent") == written
    deployment.pulumi("config", "rm", "--path", key)
    deployment.pulumi("up", "--yes", "--policy-pack", "policy")
    assert memory_entities(deployment, "concurrent") == written


def volume_checksums(volume: str) -> str:
    """`sha256sum` of every file in a Docker volume, by path, read with the backup image's own busybox."""
    return docker(
        "run", "--rm", "--network", "none", "--user", "0:0", "-v", f"{volume}:/volume:ro", "--entrypoint", "/bin/sh",
        BACKUP_IMAGE, "-c", "cd /volume && find . -type f | sort | xargs -r sha256sum",
    )  # fmt: skip


def test_backup_now_and_a_restore_bring_a_volume_back_byte_for_byte(deployment: Deployment) -> None:
    volume = f"{PREFIX}-memory-graph"
    before = volume_checksums(volume)
    assert "memory.jsonl" in before
    python, directory = str(deployment.project.directory / ".venv" / "bin" / "python"), deployment.project.directory
    started = time.monotonic()
    backup = subprocess.run(
        [python, "-m", "infra", "backup-now", "--stack", STACK, "--volume", "memory-graph", "--run"],
        cwd=directory, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    backup_seconds = time.monotonic() - started
    assert backup.returncode == 0, backup.stdout + backup.stderr
    # The volume emptied while its service is stopped, as a lost disk would leave it.
    docker("stop", f"{PREFIX}-memory")
    docker(
        "run", "--rm", "--network", "none", "--user", "0:0", "-v", f"{volume}:/volume", "--entrypoint", "/bin/sh",
        BACKUP_IMAGE, "-c", "rm -rf /volume/* /volume/.[!.]*",
    )  # fmt: skip
    assert volume_checksums(volume) == ""
    script = subprocess.run(
        [python, "-m", "infra", "restore", "--stack", STACK, "--volume", "memory-graph", "--replace"],
        cwd=directory, capture_output=True, text=True, timeout=120, check=True,
    ).stdout  # fmt: skip
    password = deployment.pulumi("config", "get", "--path", "backupSecrets.password").stdout.strip()
    started = time.monotonic()
    restore = subprocess.run(
        ["sh", "-c", script], env={**os.environ, "RESTIC_PASSWORD": password},
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    restore_seconds = time.monotonic() - started
    assert restore.returncode == 0, restore.stdout + restore.stderr
    assert volume_checksums(volume) == before
    wait_healthy("memory")
    assert memory_entities(deployment, "concurrent")
    print(f"\nbackup-now {backup_seconds:.1f} s, restore {restore_seconds:.1f} s")


def gateway_status(path: str, ca_file: Path, headers: dict[str, str]) -> int:
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "ping"}).encode()
    request = urllib.request.Request(
        f"{GATEWAY}{path}",
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", "Accept": "application/json, text/event-stream", **headers},
    )
    try:
        with urllib.request.urlopen(request, context=ssl.create_default_context(cafile=str(ca_file)), timeout=30):
            return 200
    except urllib.error.HTTPError as error:
        return error.code


@pytest.mark.parametrize(
    "headers", [{"Host": "attacker.example.com"}, {"Origin": "https://attacker.example.com"}], ids=["host", "origin"]
)
def test_the_gateway_refuses_a_foreign_host_or_origin(deployment: Deployment, headers: dict[str, str]) -> None:
    """DNS rebinding: a page on another site must not reach the services through the user's loopback."""
    assert gateway_status("/everything/mcp", deployment.ca_file, headers) == 404
    # The gateway's own name and origin are served.
    own = {"Host": "localhost:8443", "Origin": "https://localhost:8443"}
    assert gateway_status("/everything/mcp", deployment.ca_file, own) != 404


def test_no_secret_is_kept_in_plain_text(deployment: Deployment) -> None:
    secrets = [deployment.pulumi("config", "get", "--path", key).stdout.strip() for key in ("backupSecrets.password",)]
    exported = deployment.pulumi("stack", "export").stdout
    stack_file = (deployment.project.directory / f"Pulumi.{STACK}.yaml").read_text()
    for secret in secrets:
        assert len(secret) >= 32
        assert secret not in exported
        assert secret not in stack_file


PROMETHEUS, ALERTMANAGER = "http://127.0.0.1:19090", "http://127.0.0.1:19093"
"""Where the dev stack publishes them, on the loopback only (`pulumi stack output monitoring`)."""


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.load(response)


def scrape_health() -> dict[tuple[str, str], str]:
    """(scrape job, service or instance) -> `up` or `down`, as Prometheus last saw each target."""
    targets = get_json(f"{PROMETHEUS}/api/v1/targets?state=active")["data"]["activeTargets"]
    return {
        (target["scrapePool"], target["labels"].get("service", target["labels"]["instance"])): target["health"]
        for target in targets
    }


def per_tool_calls(query: str) -> set[tuple[str, str]]:
    """(service, tool) of every series a per-tool query returns."""
    results = get_json(f"{PROMETHEUS}/api/v1/query?query={query}")["data"]["result"]
    return {(result["metric"]["service"], result["metric"]["gen_ai_tool_name"]) for result in results}


def test_prometheus_scrapes_the_gateway_and_every_bridge_and_probes_every_service(deployment: Deployment) -> None:
    expected = {
        ("gateway", "gateway:8082"),
        *(("health-probes", service) for service in CALLS),
        *(("mcp-services", service) for service in CALLS),
    }
    deadline = time.monotonic() + 60
    while {key: health for key, health in scrape_health().items() if key in expected} != dict.fromkeys(expected, "up"):
        assert time.monotonic() < deadline, scrape_health()
        time.sleep(3)
    # The gateway's request counts, per service, from the traffic of the tests before.
    query = urllib.parse.quote("sum by (service) (traefik_service_requests_total)")
    counted = get_json(f"{PROMETHEUS}/api/v1/query?query={query}")["data"]["result"]
    assert {result["metric"]["service"] for result in counted} >= {f"{service}@file" for service in CALLS}
    # Each bridge's per-tool operation counts, once a catalog client has called a tool of every service (calls of
    # the tests before may be gone with a container they replaced).
    every_service_answered(peer("catalog_client.py", str(deployment.ca_file), "auto", stdin=catalog_plan()), "scrape")
    query = urllib.parse.quote(
        'sum by (service, gen_ai_tool_name) (mcp_server_operation_duration_count{mcp_method_name="tools/call"})'
    )
    wanted = {(service, tool) for service, (tool, _) in CALLS.items()}
    deadline = time.monotonic() + 90
    while not wanted <= (called := per_tool_calls(query)):
        assert time.monotonic() < deadline, called
        time.sleep(3)
    # Every rule the program rendered evaluates on the real Prometheus without an error.
    groups = get_json(f"{PROMETHEUS}/api/v1/rules")["data"]["groups"]
    rules = {rule["name"]: rule for group in groups for rule in group["rules"]}
    assert "ServiceProbeFailing" in rules
    assert {name: rule["lastError"] for name, rule in rules.items() if rule["health"] != "ok"} == {}


def firing(alert: str, service: str) -> bool:
    query = urllib.parse.quote(f'alertname="{alert}"')
    alerts = get_json(f"{ALERTMANAGER}/api/v2/alerts?active=true&filter={query}")
    return any(entry["labels"].get("service") == service for entry in alerts)


def test_a_stopped_service_fires_service_probe_failing_in_alertmanager(deployment: Deployment) -> None:
    """The alert waits for 2 minutes of failed probes, so this takes about 3."""
    service = "sequential-thinking"
    container = started_containers()[service]["Id"]
    docker("stop", container)
    stopped = time.monotonic()
    try:
        while not firing("ServiceProbeFailing", service):
            assert time.monotonic() - stopped < 330, "ServiceProbeFailing did not reach Alertmanager"
            time.sleep(5)
        print(f"\nServiceProbeFailing in Alertmanager {time.monotonic() - stopped:.0f} s after the service stopped")
    finally:
        docker("start", container)
    wait_healthy(service)


def test_a_failed_up_ends_with_the_providers_message_and_no_traceback(deployment: Deployment) -> None:
    deployment.pulumi("config", "set", "--path", "backup.image", "docker.io/restic/restic:0.0.1-absent")
    try:
        failed = deployment.pulumi("up", "--yes", "--policy-pack", "policy", check=False)
        assert failed.returncode != 0
        assert "unable to pull image docker.io/restic/restic:0.0.1-absent" in failed.output, failed.explain()
        assert "Traceback" not in failed.output, failed.explain()
        assert "KeyboardInterrupt" not in failed.output, failed.explain()
    finally:
        deployment.pulumi("config", "set", "--path", "backup.image", "docker.io/restic/restic:0.18.1")
    restored = deployment.pulumi("up", "--yes", "--policy-pack", "policy", check=False)
    assert restored.returncode == 0, restored.explain()
    assert deployment.pulumi("preview", "--expect-no-changes", check=False).returncode == 0


STATELESS, STATEFUL = "everything", "memory"
"""The services the probes watch through changes: one replaced side by side, one stopped before its successor."""
RELEASED_FILE = "images/bridge/src/command.js"
"""A source file of every image the suite builds: changing it is a new release of each of them."""


def release(deployment: Deployment, change: Callable[[str], str]) -> str:
    """Makes the project copy's images those of a new release (`change` applied to RELEASED_FILE); the text before."""
    path = deployment.project.directory / RELEASED_FILE
    before = path.read_text()
    path.write_text(change(before))
    return before


def probes(deployment: Deployment) -> list[Probe]:
    return [
        Probe(f"/{STATELESS}/mcp", deployment.ca_file, sessions=False).start(),
        Probe(f"/{STATEFUL}/mcp", deployment.ca_file, sessions=True).start(),
    ]


def images_run() -> dict[str, str]:
    return {part: entry["Config"]["Image"] for part, entry in started_containers().items() if part in CALLS}


def test_an_image_change_loses_no_request_to_a_stateless_service_and_no_data(deployment: Deployment) -> None:
    written = {"path": "/data/files/before-the-change.txt", "content": "written before the image change"}
    plan = {"filesystem": {"url": f"{GATEWAY}/filesystem/mcp", "tool": "write_file", "arguments": written}}
    assert (
        peer("catalog_client.py", str(deployment.ca_file), "auto", stdin=json.dumps(plan))["filesystem"]["error"]
        is False
    )
    peer("concurrent_writes.py", f"{GATEWAY}/memory/mcp", str(deployment.ca_file), "1", "3", "image-change")
    volumes = {volume: volume_checksums(f"{PREFIX}-{volume}") for volume in ("memory-graph", "filesystem")}
    assert all(volumes.values())
    entities, images = memory_entities(deployment, "image-change"), images_run()
    assert len(entities) == 3
    watching = probes(deployment)
    started = time.monotonic()
    # The stack goes on with this release.
    release(deployment, lambda text: text + "// a new release of the bridge\n")
    changed = deployment.pulumi("up", "--yes", "--policy-pack", "policy", check=False)
    seconds = time.monotonic() - started
    stateless, stateful = (probe.stop() for probe in watching)
    assert changed.returncode == 0, changed.explain()
    # Every service runs its new image, healthy.
    assert {part: image != images[part] for part, image in images_run().items()} == dict.fromkeys(CALLS, True)
    assert unhealthy(set(CALLS)) == {}
    assert stateless.answered > 0 and stateless.failures == [], stateless.summary()
    assert stateful.answered > 0, stateful.summary()
    assert {volume: volume_checksums(f"{PREFIX}-{volume}") for volume in volumes} == volumes
    assert memory_entities(deployment, "image-change") == entities
    print(f"\nimage change of every service: up {seconds:.0f} s; {stateless.summary()}; {stateful.summary()}")


def test_a_release_that_cannot_start_fails_the_up_and_the_previous_config_rolls_back(deployment: Deployment) -> None:
    """A new image whose server never starts (so its health check never passes): `up` fails, the stateless service
    keeps serving from its previous container throughout, and the next `up` on the previous config restores every
    service with nothing left to change."""
    images = images_run()
    watching = probes(deployment)
    broken = "export function resolveCommand(words, serverDir = SERVER_DIR) {"
    started = time.monotonic()
    previous = release(deployment, lambda text: text.replace(broken, broken + "\n  throw new Error('broken release');"))
    try:
        failed = deployment.pulumi("up", "--yes", "--policy-pack", "policy", check=False)
    finally:
        release(deployment, lambda _: previous)
    failing_seconds = time.monotonic() - started
    assert failed.returncode != 0
    assert "container failed to be in healthy state" in failed.output, failed.explain()
    assert "Traceback" not in failed.output, failed.explain()
    # The stateless service's previous container still runs its previous image, beside the failed one.
    running = [entry for entry in suite_containers() if part_of(entry) == STATELESS]
    assert any(
        entry["Config"]["Image"] == images[STATELESS] and entry["State"]["Health"]["Status"] == "healthy"
        for entry in running
    )
    started = time.monotonic()
    restored = deployment.pulumi("up", "--yes", "--policy-pack", "policy", check=False)
    rollback_seconds = time.monotonic() - started
    stateless, stateful = (probe.stop() for probe in watching)
    assert restored.returncode == 0, restored.explain()
    assert images_run() == images
    assert unhealthy(set(CALLS)) == {}
    assert deployment.pulumi("preview", "--expect-no-changes", check=False).returncode == 0
    assert stateless.answered > 0 and stateless.failures == [], stateless.summary()
    # The stateful service was stopped for its successor, so it was down from then until the rollback.
    assert stateful.failures, stateful.summary()
    assert rollback_seconds < 120
    print(
        f"\nfailed up {failing_seconds:.0f} s, rollback up {rollback_seconds:.0f} s; "
        f"{stateless.summary()}; {stateful.summary()}"
    )


def test_protected_data_survives_destroy(deployment: Deployment) -> None:
    deployment.pulumi("config", "set", "protectStatefulData", "true")
    deployment.pulumi("up", "--yes", "--policy-pack", "policy")
    refused = deployment.pulumi("destroy", "--yes", check=False)
    assert refused.returncode != 0
    assert "protected" in refused.output, refused.explain()
    volumes = docker("volume", "ls", "-q", "--filter", f"label=mcp-suite/stack={STACK}").split()
    assert f"{PREFIX}-memory-graph" in volumes
    deployment.pulumi("config", "set", "protectStatefulData", "false")
    deployment.pulumi("up", "--yes", "--policy-pack", "policy")


def test_destroy_leaves_no_container_or_network(deployment: Deployment) -> None:
    deployment.pulumi("destroy", "--yes")
    assert suite_containers() == []
    networks = docker("network", "ls", "-q", "--filter", f"name={PREFIX}-").split()
    assert networks == []
