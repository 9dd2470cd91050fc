"""The suite's images on the real Docker engine: built from images/Dockerfile, run exactly as the dev stack declares
its containers, answering MCP, opening no connection outside the suite, and losing no write under load.

The bases are locally made stand-ins (tests/helpers/docker_engine.py); everything above them is what users build.
"""

from __future__ import annotations

import itertools
import json
import secrets
import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from components.render.image_build import build_plan
from infra.mock_runtime import Evaluation
from infra.stack_files import PROJECT_DIR
from infra.tool_surface import read_manifest
from tests.helpers.catalog_calls import CALLS, ECHOED, visit_plan
from tests.helpers.docker_engine import built_image, docker, health_command, require_engine, run_flags, stand_in_bases
from tests.helpers.stacks import evaluate_stack
from tests.helpers.tools import require_tool, require_venv_tool

pytestmark = pytest.mark.slow
SERVICES = ("everything", "filesystem", "memory", "sequential-thinking")
STATEFUL = ("filesystem", "memory")
SOAK = PROJECT_DIR / "images" / "bridge" / "test" / "soak.js"
LIST_TOOLS = PROJECT_DIR / "images" / "bridge" / "test" / "list-tools.js"
PEERS = PROJECT_DIR / "tests" / "e2e" / "peers"
UNUSED_CA = Path("/etc/ssl/certs/ca-certificates.crt")
"""The SDK peers verify TLS against a CA file; the images answer plain HTTP, so any readable bundle does."""
SESSION_TIMEOUT_SECONDS = 4


@dataclass(frozen=True)
class Running:
    name: str
    address: str
    inputs: dict[str, Any]

    @property
    def url(self) -> str:
        return f"http://{self.address}:8000"

    def health(self) -> dict[str, Any]:
        with urllib.request.urlopen(f"{self.url}/healthz", timeout=5) as response:
            body: dict[str, Any] = json.loads(response.read())
            return body


def dev_containers(overrides: dict[str, Any] | None = None) -> dict[str, dict[str, Any]]:
    evaluation: Evaluation = evaluate_stack("dev", overrides=overrides)
    return {name: evaluation.service_container(name).inputs for name in SERVICES}


def network_on_a_free_subnet(name: str, *flags: str) -> tuple[str, str]:
    """Create network `name` on a /24 of 172.16.0.0/12 that no other network holds: the engine gives networks
    created without a subnet (the e2e stack's, running meanwhile) a whole /16 of that range each.
    Returns the subnet's first three octets and the network's id."""
    refused = ""
    for _ in range(20):
        subnet = f"172.{16 + secrets.randbelow(16)}.{200 + secrets.randbelow(50)}"
        created = subprocess.run(
            ["docker", "network", "create", *flags, "--subnet", f"{subnet}.0/24", name],
            capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        if created.returncode == 0:
            return subnet, created.stdout.strip()
        refused = created.stderr
        if "overlaps" not in refused:
            break
    raise AssertionError(f"docker network create {name} failed:\n{refused}")


@pytest.fixture(scope="module")
def network() -> Iterator[tuple[str, str]]:
    """An internal network (no route out, like the stack's) with a fixed subnet, and its name."""
    require_engine()
    name = f"mcp-test-{secrets.token_hex(4)}"
    subnet, _ = network_on_a_free_subnet(name, "--internal")
    yield name, subnet
    docker("network", "rm", name, check=False)


def start(
    service: str, inputs: dict[str, Any], network: tuple[str, str], host: int, extra: tuple[str, ...] = ()
) -> Running:
    """Run the service's image with the program's container settings, its volumes fresh and owned as the stack's."""
    name = f"{network[0]}-{service}"
    volumes = {}
    for mount in inputs.get("volumes", []):
        volume = docker("volume", "create", f"{name}-{mount['volumeName']}")
        # The stack hands each volume to the service's UID before the service starts (StorageVolumes).
        docker("run", "--rm", "--volume", f"{volume}:/v", stand_in_bases()["BUILD_BASE"], "chown", "10001:10001", "/v")
        volumes[mount["volumeName"]] = volume
    address = f"{network[1]}.{host}"
    docker(
        "run",
        "--detach",
        "--name",
        name,
        "--network",
        network[0],
        "--ip",
        address,
        *run_flags(inputs, volumes),
        *extra,
        built_image(build_plan(service).server),
        *inputs["command"],
    )
    running = Running(name=name, address=address, inputs=inputs)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        probe = subprocess.run(["docker", "exec", name, *health_command(inputs)], capture_output=True, timeout=30)
        if probe.returncode == 0:
            return running
        time.sleep(0.5)
    raise AssertionError(f"{service} never passed its health check:\n{docker('logs', name, check=False)}")


def remove(running: Running) -> None:
    docker("rm", "--force", "--volumes", running.name, check=False)
    for mount in running.inputs.get("volumes", []):
        docker("volume", "rm", f"{running.name}-{mount['volumeName']}", check=False)


def node(*args: str, stdin: str | None = None, timeout: float = 300) -> str:
    result = subprocess.run(
        [require_tool("node"), *args], input=stdin, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_each_image_is_labelled_non_root_and_has_no_shell_or_package_manager() -> None:
    require_engine()
    for service in SERVICES:
        plan = build_plan(service)
        image = built_image(service)
        config = json.loads(docker("image", "inspect", image))[0]["Config"]
        assert config["Labels"]["org.opencontainers.image.version"] == plan.version
        assert config["Labels"]["org.opencontainers.image.revision"] == plan.digest
        assert config["Labels"]["org.opencontainers.image.source"] == "https://example.invalid/mcp-suite"
        assert config["User"] == "65532:65532"
        assert config["Entrypoint"] == ["/nodejs/bin/node"]
        absent = (
            "['/bin/sh','/usr/bin/apt-get','/usr/local/bin/npm','/usr/bin/gcc'].filter(p=>require('fs').existsSync(p))"
        )
        found = docker("run", "--rm", image, "-e", f"console.log(JSON.stringify({absent}))")
        assert json.loads(found) == [], f"{service}: the runtime image holds {found}"


def test_every_service_runs_with_the_programs_container_settings_and_lists_the_recorded_tools(
    network: tuple[str, str],
) -> None:
    manifest = read_manifest(PROJECT_DIR)
    containers = dev_containers()
    for host, service in enumerate(SERVICES, start=10):
        running = start(service, containers[service], network, host)
        try:
            inspected = json.loads(docker("inspect", running.name))[0]["HostConfig"]
            assert inspected["ReadonlyRootfs"] is True and inspected["CapDrop"] == ["ALL"]
            listed = json.loads(node(str(LIST_TOOLS), f"{running.url}/mcp"))
            command = containers[service]["command"][2]
            recorded = [(tool["name"], tool["description"]) for tool in manifest[command]]
            assert [(tool["name"], tool["description"]) for tool in listed] == recorded, service
            processes = docker("top", running.name, "-o", "pid,args").splitlines()[1:]
            assert len(processes) == 2, f"{service}: bridge and one server, got {processes}"
        finally:
            remove(running)


def test_clients_of_both_revisions_use_every_image_and_speak_the_revision_they_asked_for(
    network: tuple[str, str],
) -> None:
    """The official Python SDK (`mcp` 2.3.0) and TypeScript SDK (`@modelcontextprotocol/client` 2.4.0) clients, in
    their 2026-07-28 (`auto`: `server/discover` first) and 2025-11-25 (`legacy`: the handshake) modes, list the tools
    of every image and call one; each reports the revision it spoke."""
    installed = subprocess.run(
        [str(PROJECT_DIR / "scripts" / "e2e-peers")], capture_output=True, text=True, timeout=600, check=False
    )
    assert installed.returncode == 0, installed.stderr[-4000:]
    manifest = read_manifest(PROJECT_DIR)
    containers = dev_containers()
    running = [start(service, containers[service], network, host) for host, service in enumerate(SERVICES, start=30)]
    try:
        plan = json.dumps(visit_plan({one.name.removeprefix(f"{network[0]}-"): f"{one.url}/mcp" for one in running}))
        recorded = {
            service: sorted(tool["name"] for tool in manifest[containers[service]["command"][2]]) for service in CALLS
        }
        clients = {
            "python": [require_venv_tool("mcp", "python"), str(PEERS / "catalog_client.py")],
            "typescript": [require_tool("node"), str(PEERS / "typescript" / "catalog_client.mjs")],
        }
        for (client, command), (mode, revision) in itertools.product(
            clients.items(), (("auto", "2026-07-28"), ("legacy", "2025-11-25"))
        ):
            result = subprocess.run(
                [*command, str(UNUSED_CA), mode], input=plan, capture_output=True, text=True, timeout=300, check=False
            )
            assert result.returncode == 0, f"{client} {mode}: {result.stderr[-4000:]}"
            visits = json.loads(result.stdout)
            assert {name: visit.get("failed") for name, visit in visits.items()} == dict.fromkeys(CALLS), visits
            assert {name: visit["protocol"] for name, visit in visits.items()} == dict.fromkeys(CALLS, revision)
            assert {name: visit["tools"] for name, visit in visits.items()} == recorded, f"{client} {mode}"
            assert {name: visit["error"] for name, visit in visits.items()} == dict.fromkeys(CALLS, False)
            assert ECHOED in " ".join(visits["everything"]["text"])
    finally:
        for one in running:
            remove(one)


@pytest.mark.parametrize("service", STATEFUL)
def test_soak_loses_no_acknowledged_write_stays_bounded_and_reaps_abandoned_sessions(
    service: str, network: tuple[str, str], record_property: Any
) -> None:
    overrides = {"serviceOverrides": {service: {"bridge": {"sessionTimeoutSeconds": SESSION_TIMEOUT_SECONDS}}}}
    inputs = dev_containers(overrides)[service]
    running = start(service, inputs, network, 100 + STATEFUL.index(service))
    try:
        idle = stats(running.name)
        soak = subprocess.Popen(
            [require_tool("node"), str(SOAK), f"{running.url}/mcp", service, "50", "4", "50"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert soak.stdout is not None and soak.stdin is not None
        loaded = json.loads(soak.stdout.readline() or "{}")
        assert loaded.get("phase") == "loaded", soak.stderr.read() if soak.stderr else ""
        under_load = stats(running.name)
        health = running.health()
        soak.stdin.write("\n")
        soak.stdin.flush()
        done = json.loads(soak.stdout.readline())
        soak.wait(timeout=60)
        figures = {
            "acknowledged": done["acknowledged"],
            "lost": done["lost"],
            "open_sessions_under_load": health["sessions"],
            "idle_mib": idle["mib"],
            "loaded_mib": under_load["mib"],
            "mib_per_session": round((under_load["mib"] - idle["mib"]) / health["sessions"], 2),
            "processes": under_load["processes"],
            "threads": under_load["threads"],
            "seconds_for_200_writes": loaded["seconds"],
        }
        record_property("soak", figures)
        print(f"soak {service}: {json.dumps(figures)}")
        assert done["acknowledged"] == 200 and done["lost"] == 0, figures
        # 50 writers and 50 abandoned sessions, plus the one that reads back, held by two processes.
        assert health["sessions"] == 101
        assert under_load["processes"] == 2
        limit_mib = inputs["memory"]
        assert under_load["mib"] < limit_mib / 2, f"{under_load['mib']} MiB under load, limit {limit_mib} MiB"
        # The writers ended with DELETE; the abandoned ones go when their timeout has passed.
        time.sleep(SESSION_TIMEOUT_SECONDS * 1.25 + 1.5)
        after = running.health()
        assert (after["sessions"], after["reaped"]) == (0, 50)
    finally:
        remove(running)


def stats(container: str) -> dict[str, Any]:
    """Memory in MiB (the cgroup's usage, as `docker stats` shows it), processes and threads of a container."""
    line = docker("stats", "--no-stream", "--format", "{{json .}}", container)
    sample = json.loads(line)
    used = sample["MemUsage"].split("/")[0].strip()
    number, unit = float(used[:-3]), used[-3:]
    mib = number * {"KiB": 1 / 1024, "MiB": 1.0, "GiB": 1024.0}[unit]
    processes = len(docker("top", container, "-o", "pid").splitlines()) - 1
    return {"mib": round(mib, 1), "threads": int(sample["PIDs"]), "processes": processes}


@pytest.fixture(scope="module")
def routed_network() -> Iterator[tuple[str, str, str]]:
    """A network that does route out (unlike the stack's), so an attempt to leave would be sent and seen:
    its name, subnet prefix and bridge interface."""
    require_engine()
    name = f"mcp-egress-{secrets.token_hex(4)}"
    subnet, network_id = network_on_a_free_subnet(name)
    yield name, subnet, f"br-{network_id[:12]}"
    docker("network", "rm", name, check=False)


def packets_sent(interface: str, address: str, action: Callable[[], None], capture: Path) -> list[str]:
    """Every IP packet `address` sends while `action` runs, except its answers from the MCP port."""
    with capture.open("w") as output:
        sniffer = subprocess.Popen(
            [require_tool("tcpdump"), "-i", interface, "-n", "-l", f"src host {address} and not src port 8000"],
            stdout=output,
            stderr=subprocess.DEVNULL,
        )
        try:
            time.sleep(1)
            action()
            time.sleep(2)
        finally:
            sniffer.terminate()
            sniffer.wait(timeout=10)
    return [line for line in capture.read_text().splitlines() if " IP" in line]


def test_no_service_opens_a_connection_outside_the_suite_when_it_starts(
    routed_network: tuple[str, str, str], tmp_path: Path
) -> None:
    """Each service started and asked for its tools with every packet it sends captured: only answers to the
    client leave it. DNS points at an unroutable address, so a lookup would be sent (and seen) too."""
    name, subnet, interface = routed_network
    resolv = tmp_path / "resolv.conf"
    resolv.write_text("nameserver 192.0.2.53\n")
    # Its own resolv.conf: Docker's embedded DNS would make a lookup from the container invisible here.
    dns = ("--volume", f"{resolv}:/etc/resolv.conf:ro")

    def lookup() -> None:
        script = "require('dns').lookup('api.example.com', () => {}); setTimeout(() => {}, 1500)"
        address = f"{subnet}.9"
        docker("run", "--rm", "--network", name, "--ip", address, *dns, built_image("memory"), "-e", script)

    # The control: a container that does look a name up is caught, so silence below means something.
    assert packets_sent(interface, f"{subnet}.9", lookup, tmp_path / "control.txt")
    containers = dev_containers()
    for host, service in enumerate(SERVICES, start=10):
        started: list[Running] = []

        def start_and_ask(service: str = service, host: int = host, started: list[Running] = started) -> None:
            started.append(start(service, containers[service], (name, subnet), host, dns))
            node(str(LIST_TOOLS), f"{started[0].url}/mcp")

        try:
            sent = packets_sent(interface, f"{subnet}.{host}", start_and_ask, tmp_path / f"{service}.txt")
        finally:
            for running in started:
                remove(running)
        assert sent == [], f"{service} sent packets outside the suite: {sent}"
