"""The single-node test cluster (scripts/kube-cluster) for the tests that need a real API server, kubelet and
NetworkPolicy enforcer: started once per test session, stopped when the session ends."""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from infra.stack_files import PROJECT_DIR
from tests.helpers.docker_engine import require_engine

SCRIPT = PROJECT_DIR / "scripts" / "kube-cluster"
HOST_ADDRESS = "10.201.0.1"
"""This machine's end of the veth pair to the node; the test S3 server listens here."""


@dataclass(frozen=True)
class Cluster:
    environment: Mapping[str, str]
    """KUBECONFIG and the cluster's state folder."""
    bin: Path
    """Where kubectl is (with the cluster's other binaries)."""
    start_seconds: float
    """How long `scripts/kube-cluster start` took (a moment when the cluster was already running)."""

    def run_kubectl(
        self, *args: str, timeout: float = 120, stdin: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        """`kubectl ARGS` against the cluster, whatever its exit status."""
        return subprocess.run(
            [str(self.bin / "kubectl"), *args],
            input=stdin,
            capture_output=True,
            text=True,
            timeout=timeout,
            env={**os.environ, **self.environment},
            check=False,
        )

    def kubectl(self, *args: str, timeout: float = 120, check: bool = True, stdin: str | None = None) -> str:
        """The output of `kubectl ARGS`; with `check`, a failure raises with its message."""
        result = self.run_kubectl(*args, timeout=timeout, stdin=stdin)
        if check and result.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} failed ({result.returncode}):\n{result.stderr}")
        return result.stdout

    def with_kubectl(self) -> dict[str, str]:
        """This process's environment pointed at the cluster, with kubectl on PATH."""
        return {**os.environ, **self.environment, "PATH": f"{self.bin}{os.pathsep}{os.environ['PATH']}"}

    def json(self, *args: str) -> Any:
        return json.loads(self.kubectl(*args, "-o", "json"))


def _unavailable(message: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


@cache
def running_cluster() -> Cluster:
    """The test cluster, started on first use (minutes the first time on a machine: its parts are built)."""
    if os.geteuid() != 0:
        _unavailable("the test cluster needs root (network namespaces, containerd, kubelet)")
    require_engine()
    started = time.monotonic()
    result = subprocess.run([str(SCRIPT), "start"], capture_output=True, text=True, timeout=3600, check=False)
    if result.returncode != 0:
        raise AssertionError(f"scripts/kube-cluster start failed:\n{result.stderr[-6000:]}")
    exported: dict[str, str] = {}
    for line in result.stdout.splitlines():
        name, _, value = line.removeprefix("export ").partition("=")
        exported[name] = value.strip('"')
    environment = {name: exported[name] for name in ("KUBECONFIG", "MCP_SUITE_KUBE_STATE")}
    kubectl_dir = Path(exported["PATH"].split(":")[0])
    return Cluster(environment, kubectl_dir, time.monotonic() - started)


def stop_cluster() -> None:
    """Stops the cluster when this session started it."""
    if running_cluster.cache_info().currsize:
        subprocess.run([str(SCRIPT), "stop"], capture_output=True, timeout=300, check=False)
        running_cluster.cache_clear()
