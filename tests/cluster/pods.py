"""Pods of the test cluster as network endpoints: a command run in a pod's own network namespace sends and
receives exactly that pod's traffic, so NetworkPolicies apply to it as to the pod itself.

Stand-in pods run only the sandbox image (pause): they carry the labels of what they stand for, and the test puts
listeners and clients in their network namespaces from this machine.
"""

from __future__ import annotations

import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.helpers.cluster import Cluster

NETNS_DIR = Path("/var/run/netns")
PAUSE_IMAGE = "registry.k8s.io/pause:3.10.1"
"""The cluster's sandbox image (built by scripts/kube-parts): already on the node, and non-root."""


@dataclass(frozen=True)
class PodEndpoint:
    name: str
    namespace: str
    ip: str
    netns: str
    """Name of the pod's network namespace under /var/run/netns."""

    def run(self, *command: str, timeout: float = 60, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["ip", "netns", "exec", self.netns, *command],
            input=stdin,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def start(self, *command: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            ["ip", "netns", "exec", self.netns, *command],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )


def netns_by_address() -> dict[str, str]:
    """Every CNI network namespace on the node, by the address of its eth0."""
    found: dict[str, str] = {}
    for path in sorted(NETNS_DIR.glob("cni-*")):
        shown = subprocess.run(
            ["ip", "-n", path.name, "-4", "-o", "addr", "show", "dev", "eth0"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.split()
        if "inet" in shown:
            found[shown[shown.index("inet") + 1].split("/")[0]] = path.name
    return found


def endpoints(cluster: Cluster, pods: list[dict[str, Any]]) -> dict[str, PodEndpoint]:
    """The running pods given (as the API lists them), each with its network namespace, by pod name."""
    by_address = netns_by_address()
    result = {}
    for pod in pods:
        ip = pod["status"]["podIP"]
        assert ip in by_address, f"no network namespace on the node has {pod['metadata']['name']}'s address {ip}"
        result[pod["metadata"]["name"]] = PodEndpoint(
            pod["metadata"]["name"], pod["metadata"]["namespace"], ip, by_address[ip]
        )
    return result


def stand_in(name: str, namespace: str, labels: dict[str, str]) -> dict[str, Any]:
    """A pod that only holds a network identity: the pause image, restricted like the suite's own pods."""
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": namespace, "labels": labels},
        "spec": {
            "automountServiceAccountToken": False,
            "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
            "containers": [
                {
                    "name": "pause",
                    "image": PAUSE_IMAGE,
                    "imagePullPolicy": "Never",
                    "securityContext": {
                        "allowPrivilegeEscalation": False,
                        "capabilities": {"drop": ["ALL"]},
                        "readOnlyRootFilesystem": True,
                        "runAsUser": 65535,
                    },
                }
            ],
        },
    }


def wait_running(cluster: Cluster, namespace: str, names: list[str], seconds: float = 120) -> list[dict[str, Any]]:
    deadline = time.monotonic() + seconds
    while True:
        pods = [cluster.json("-n", namespace, "get", "pod", name) for name in names]
        if all(pod["status"].get("phase") == "Running" and pod["status"].get("podIP") for pod in pods):
            return pods
        if time.monotonic() > deadline:
            states = {pod["metadata"]["name"]: pod["status"].get("phase") for pod in pods}
            raise AssertionError(f"pods not running within {seconds:.0f} s: {states}")
        time.sleep(1)
