"""Every workload the suite creates meets the one hardening: components/render/pod_security.py on Kubernetes,
components/render/docker_container.py on Docker.

Checked over what the program registers, not over the renderers, so a workload that builds its own pod or container
instead of taking the shared one fails here: every pod spec the staging and prod stacks register (wherever its kind
nests it: Deployment, StatefulSet, CronJob, Job, DaemonSet, bare Pod), every container of dev, and the one-off
restore Job and containers that `python -m infra restore` prints.

Out of scope: the pods of the Helm releases (kube-prometheus-stack, Loki, Alloy). Their charts build those pods; the
suite renders only values, and the monitoring namespace enforces `privileged` for node-exporter's sake (while it
warns and audits at `restricted`, asserted below).
"""

from __future__ import annotations

import shlex
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import yaml

from components.render.backup_kubernetes import camel_case_keys
from components.render.docker_container import TMPFS_OPTIONS, hardened, locked_down, run_flags
from components.render.pod_security import namespace_labels, restricted_container_security, restricted_pod_spec
from infra.backup_operations import restore_docker, restore_kubernetes, stack_settings
from tests.helpers.stacks import KUBERNETES_STACKS, rendered

CONTAINER = "docker:index/container:Container"
NAMESPACE = "kubernetes:core/v1:Namespace"
HELM_RELEASE = "kubernetes:helm.sh/v3:Release"
CONTAINER_LISTS = ("containers", "initContainers", "ephemeralContainers")
WRITER_SUFFIX = "-config-writer"
"""Created, never started: a writer only carries a container's generated files into their volume, since Docker
refuses uploads into a read-only root filesystem. Nothing runs in it, so there is nothing to harden."""
ADDED_CAPABILITIES = {"storage-ownership": ["CHOWN"]}
"""The one container that adds a capability back: the policy pack's `volume-ownership` allowance."""
NOW = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)


def pod_specs(value: Any, path: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every pod spec in a manifest, at any depth: an object that lists containers is one, whatever kind holds it."""
    if isinstance(value, dict):
        if isinstance(value.get("containers"), list):
            yield path, value
        for key, item in value.items():
            yield from pod_specs(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from pod_specs(item, f"{path}[{index}]")


def kubernetes_pods(stack: str) -> dict[str, dict[str, Any]]:
    """Pod specs of every Kubernetes object the stack registers, as `<Kind>/<name><path>`."""
    pods = {}
    for entry in rendered(stack).registrations:
        if not entry.type.startswith("kubernetes:") or entry.type == HELM_RELEASE:
            continue
        kind = entry.type.rsplit(":", 1)[-1]
        for path, pod in pod_specs(entry.inputs):
            pods[f"{kind}/{entry.inputs['metadata']['name']}{path}"] = pod
    return pods


def pod_problems(pod: dict[str, Any]) -> list[str]:
    """How a pod spec falls short of the restricted level and of the suite's pod base; empty when it meets both."""
    problems = []
    security = pod.get("securityContext", {})
    uid = security.get("runAsUser")
    if not isinstance(uid, int) or uid == 0:
        return [f"pod runs as {uid!r}, not a fixed non-root UID"]
    # The shared base, as the provider's input dicts turn into the manifest; fsGroup varies with the claims mounted.
    base = camel_case_keys(restricted_pod_spec(uid, [], [], mounts_claims=False))
    for key, expected in base.items():
        if key in ("containers", "volumes"):
            continue
        actual = pod.get(key)
        if isinstance(expected, dict):
            missing = {k: v for k, v in expected.items() if not isinstance(actual, dict) or actual.get(k) != v}
            if missing:
                problems.append(f"pod {key} lacks {missing}")
        elif actual != expected:
            problems.append(f"pod {key} is {actual!r}, not {expected!r}")
    # The restricted level itself, independent of the source above.
    if pod.get("automountServiceAccountToken") is not False or pod.get("enableServiceLinks") is not False:
        problems.append("pod mounts a service account token or takes the namespace's service links")
    if security.get("runAsNonRoot") is not True or security.get("seccompProfile") != {"type": "RuntimeDefault"}:
        problems.append("pod security context is not runAsNonRoot with seccomp RuntimeDefault")
    problems += [f"pod sets {key}" for key in ("hostNetwork", "hostPID", "hostIPC") if pod.get(key)]
    problems += [f"volume {v.get('name')} is a hostPath" for v in pod.get("volumes", []) if "hostPath" in v]
    for field in CONTAINER_LISTS:
        for container in pod.get(field, []):
            context = container.get("securityContext", {})
            expected_context = camel_case_keys(restricted_container_security(context.get("runAsUser", uid)))
            if context != expected_context:
                problems.append(f"container {container.get('name')} security context is {context}")
    return problems


@pytest.mark.parametrize("stack", KUBERNETES_STACKS)
def test_every_kubernetes_pod_meets_the_hardening(stack: str) -> None:
    pods = kubernetes_pods(stack)
    kinds = {name.split("/", 1)[0] for name in pods}
    workloads = {name.split("/", 1)[1].split(".", 1)[0] for name in pods}
    # Not vacuous: the services (both kinds), the backups and the suite's own monitoring workloads are all found.
    assert kinds == {"Deployment", "StatefulSet", "CronJob"}
    assert {"everything", "memory", f"mcp-{stack}-backup-memory-graph", "blackbox-exporter", "jaeger"} <= workloads
    problems = {name: found for name, pod in pods.items() if (found := pod_problems(pod))}
    assert problems == {}


@pytest.mark.parametrize("stack", KUBERNETES_STACKS)
def test_every_namespace_carries_the_shared_pod_security_labels(stack: str) -> None:
    namespaces = {entry.inputs["metadata"]["name"]: entry.inputs for entry in rendered(stack).of_type(NAMESPACE)}
    levels = {
        name: ns["metadata"]["labels"].get("pod-security.kubernetes.io/enforce") for name, ns in namespaces.items()
    }
    # Only node-exporter's namespace admits more than `restricted` (its chart needs the host).
    assert levels == {f"mcp-{stack}": "restricted", "monitoring": "privileged"}
    for name, namespace in namespaces.items():
        assert namespace["metadata"]["labels"] == namespace_labels(levels[name]), name


@pytest.mark.parametrize("stack", KUBERNETES_STACKS)
def test_restore_jobs_meet_the_hardening(stack: str) -> None:
    settings = stack_settings(stack)
    for volume in settings.backup.volumes:
        text = restore_kubernetes(settings, volume, "latest", "elsewhere", False, NOW)
        jobs = [doc for doc in yaml.safe_load_all(text) if doc["kind"] == "Job"]
        pods = [pod for job in jobs for _, pod in pod_specs(job)]
        assert len(pods) == 1, volume
        assert pod_problems(pods[0]) == [], volume


def test_every_docker_container_meets_the_hardening() -> None:
    containers = {entry.name: entry.inputs for entry in rendered("dev").of_type(CONTAINER)}
    assert {"gateway-container", "backups-container", "monitoring-prometheus", "memory-container"} <= set(containers)
    writers = [name for name in containers if name.endswith(WRITER_SUFFIX)]
    assert {"gateway-config-writer", "monitoring-prometheus-config-writer"} <= set(writers)
    for name in writers:
        assert containers.pop(name)["start"] is False
    for name, inputs in containers.items():
        added = ADDED_CAPABILITIES.get(name, [])
        assert inputs.get("capabilities", {}).get("adds", []) == added, name
        assert not inputs.get("privileged"), name
        for key, expected in camel_case_keys(locked_down(added_capabilities=added)).items():
            assert inputs.get(key) == expected, (name, key)
        if inputs.get("mustRun") is False:
            continue  # runs once and exits: no restart policy, and its scratch space is none
        for key, expected in camel_case_keys(hardened()).items():
            if key == "tmpfs":
                # Every long-running container's /tmp is the shared one; some add more scratch space of their own.
                assert inputs.get("tmpfs", {}).get("/tmp") == TMPFS_OPTIONS, name
            else:
                assert inputs.get(key) == expected, (name, key)


def test_restore_containers_run_with_the_shared_flags() -> None:
    settings = stack_settings("dev")
    for volume in settings.backup.volumes:
        # The flags come before the entrypoint; what follows (the restic script) spans lines of its own.
        runs = [
            shlex.split(line.split(" --entrypoint ", 1)[0])
            for line in restore_docker(settings, volume, "latest", None, False).splitlines()
            if line.startswith("docker ") and " run " in line
        ]
        assert len(runs) == 2, volume  # hand the volume's root over, then restore
        for command in runs:
            added = [command[i + 1] for i, arg in enumerate(command) if arg == "--cap-add"]
            flags = run_flags(locked_down(added_capabilities=added))
            assert flags in [command[i : i + len(flags)] for i in range(len(command))], (volume, command)
