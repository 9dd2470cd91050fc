"""The reachability matrix of the deployed suite, measured with real connections between pods, and the graph the
catalog declares, derived without looking at any policy.

Endpoints are named as in tests/network/test_reachability.py: each service by its name, `envoy` (the suite's
gateway proxies), `prometheus`, `blackbox-exporter`, `coredns`, `backup` and `restore` (a backup or restore job's
pod), the impostors that
copy those labels in another namespace (`<name>-impostor`), and `repository`, the S3 server the backups use.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from components.render.network_policy import repository_egress
from components.spec import ServiceSpec
from tests.cluster.pods import PodEndpoint

Edge = tuple[str, str, str, int]
"""(source, destination, protocol, port)."""
CONNECT = Path(__file__).resolve().parent / "peers" / "connect.py"


@dataclass(frozen=True)
class Matrix:
    sources: Mapping[str, PodEndpoint]
    """Who connects: every pod of the matrix."""
    destinations: Mapping[str, str]
    """Where to: every pod's address and the repository's, by endpoint name."""
    probes: tuple[tuple[str, int], ...]
    """(protocol, port) tried against every destination."""


def declared_graph(services: tuple[ServiceSpec, ...], repository: str) -> set[Edge]:
    """What the catalog says: the gateway's proxies, Prometheus and the blackbox exporter reach every service on
    its port; a service's `callers` reach it there; every service and the backup and restore pods reach the DNS;
    the backup and restore pods reach their repository. Nothing else."""
    edges: set[Edge] = set()
    for spec in services:
        for source in ("envoy", "prometheus", "blackbox-exporter", *spec.callers):
            edges.add((source, spec.name, "TCP", spec.port))
    for source in (*(spec.name for spec in services), "backup", "restore"):
        edges |= {(source, "coredns", "UDP", 53), (source, "coredns", "TCP", 53)}
    for port in repository_egress(repository).ports:
        edges |= {("backup", "repository", "TCP", port), ("restore", "repository", "TCP", port)}
    return edges


def measured_graph(matrix: Matrix) -> set[Edge]:
    """Every (source, destination, protocol, port) a real connection from the source pod's network reached."""
    edges: set[Edge] = set()
    targets = [
        (destination, address, protocol, port)
        for destination, address in sorted(matrix.destinations.items())
        for protocol, port in matrix.probes
        if protocol == "TCP" or destination == "coredns"
    ]
    for source, endpoint in sorted(matrix.sources.items()):
        mine = [target for target in targets if target[0] != source]
        result = endpoint.run(
            sys.executable,
            str(CONNECT),
            stdin=json.dumps([[address, protocol, port] for _, address, protocol, port in mine]),
            timeout=120,
        )
        if result.returncode != 0:
            raise AssertionError(f"connections from {source} could not be tried:\n{result.stderr[-3000:]}")
        for (destination, _, protocol, port), reached in zip(mine, json.loads(result.stdout), strict=True):
            if reached:
                edges.add((source, destination, protocol, port))
    return edges


def describe(edges: set[Edge]) -> str:
    return "\n".join(f"  {s} -> {d} {p}/{port}" for s, d, p, port in sorted(edges)) or "  (none)"


def run_listener(endpoint: PodEndpoint, ports: list[int]) -> subprocess.Popen[str]:
    """Listens on `ports` in a stand-in pod's network until the returned process's stdin closes."""
    listener = endpoint.start(sys.executable, str(CONNECT.with_name("listen.py")), *map(str, ports))
    assert listener.stdout is not None
    if listener.stdout.readline().strip() != "ready":
        listener.kill()
        raise AssertionError(f"the listener in {endpoint.name} did not start: {listener.communicate()[1][-2000:]}")
    return listener
