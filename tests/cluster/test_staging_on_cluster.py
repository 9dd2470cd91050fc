"""staging on a real cluster: `pulumi up --stack staging` with the real engine and the kubernetes provider against
the single-node test cluster (scripts/kube-cluster), then real traffic, real NetworkPolicy enforcement, Pod Security
admission, backups and restores, a rollout, an immutable change and a protected destroy.

The stack is staging with the changes tests/cluster/staging-overlay.yaml lists (no edge, no Helm charts, images and
backups on this machine). Every test here runs against the one deployment, in order.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from bench.engine_deploy import release_server
from components.render.backup_kubernetes import labels as backup_job_labels
from components.render.image_build import PROJECT_DIR
from components.render.kubernetes_workload import volume_claim_name
from infra.settings import Settings, load_settings
from infra.stack_files import read_stack_config
from infra.targets.kubernetes import backup_pod_labels
from tests.cluster import pods as pod_tools
from tests.cluster.reachability import Matrix, declared_graph, describe, measured_graph, run_listener
from tests.helpers.catalog_calls import CALLS, ECHOED, visit_plan
from tests.helpers.cluster import HOST_ADDRESS, Cluster, running_cluster, stop_cluster
from tests.helpers.crds import require_crds
from tests.helpers.docker_engine import stand_in_bases
from tests.helpers.engine import Project, Run, project_copy
from tests.helpers.s3_server import S3Server, start_s3_server
from tests.helpers.tools import require_venv_tool

pytestmark = pytest.mark.slow
STACK = "staging"
NAMESPACE = "mcp-staging"
OVERLAY = Path(__file__).with_name("staging-overlay.yaml")
PEERS = Path(__file__).resolve().parent / "peers"
E2E_PEERS = PROJECT_DIR / "tests" / "e2e" / "peers"
S3_PORT = 9000
UNUSED_CA = Path("/etc/ssl/certs/ca-certificates.crt")
"""The SDK peer takes a CA file for HTTPS; the Services answer plain HTTP, so any valid bundle does."""
PASSWORD = "cluster-test-restic-password"
"""The test repository's password (the repository lives and dies with this test)."""


@dataclass
class Deployment:
    cluster: Cluster
    project: Project
    settings: Settings
    s3: S3Server
    up: Run
    up_seconds: float

    def pulumi(self, *args: str, timeout: float = 1800, check: bool = True) -> Run:
        return self.project.pulumi(*args, "--stack", STACK, timeout=timeout, check=check, env=self.cluster.environment)

    def workloads(self) -> list[dict[str, Any]]:
        listed = self.cluster.json("-n", NAMESPACE, "get", "deployments,statefulsets")
        return list(listed["items"])

    def service_pods(self) -> list[dict[str, Any]]:
        """The running pods of the catalog's services."""
        names = {spec.name for spec in self.settings.services}
        return [
            pod
            for pod in self.cluster.json("-n", NAMESPACE, "get", "pods")["items"]
            if pod["metadata"]["labels"].get("app.kubernetes.io/name") in names
            and pod["status"].get("phase") == "Running"
        ]


def staging_config(overlay: dict[str, Any]) -> dict[str, Any]:
    """Pulumi.staging.yaml with the overlay's sections replacing staging's."""
    staging = yaml.safe_load((PROJECT_DIR / "Pulumi.staging.yaml").read_text())
    return {"config": {**staging["config"], **overlay["config"]}}


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    cluster = running_cluster()
    print(f"\ncluster start: {cluster.start_seconds:.0f} s")
    require_venv_tool("mcp", "python")
    stand_in_bases()
    scratch = tmp_path_factory.mktemp("cluster")
    s3: S3Server | None = None
    try:
        # The Gateway API and Envoy Gateway CRDs, as a cluster with Envoy Gateway installed has them, so that the
        # suite's Gateway objects are admitted and validated. Envoy itself cannot run here (no build of it exists in
        # any registry reachable): nothing serves the Gateway, and traffic goes to the Services directly.
        cluster.kubectl("apply", "--server-side", "-f", str(require_crds("envoy-gateway")), timeout=300)
        cluster.kubectl("wait", "--for", "condition=Established", "crd", "--all", "--timeout=120s", timeout=150)
        s3 = start_s3_server(f"{HOST_ADDRESS}:{S3_PORT}", scratch / "s3")
        # As a user's bucket, it exists before the first backup (restic creates the repository inside it).
        s3.create_bucket("mcp-backups")
        # `pulumi up --policy-pack` does not make the pack's virtualenv (docs/real-engine.md); the copy links this.
        subprocess.run([str(PROJECT_DIR / "scripts" / "venv"), "policy"], check=True, capture_output=True, timeout=900)
        project = project_copy(scratch)
        overlay = yaml.safe_load(OVERLAY.read_text())
        (project.directory / "Pulumi.staging.yaml").write_text(yaml.safe_dump(staging_config(overlay)))
        config = read_stack_config(STACK, project.directory)
        settings = load_settings(STACK, config.values, config.secret_keys, placeholder_secrets=True)
        project.pulumi("stack", "init", STACK, env=cluster.environment)
        for key, value in (
            ("backupSecrets.password", PASSWORD),
            ("backupSecrets.s3AccessKeyId", s3.access_key),
            ("backupSecrets.s3SecretAccessKey", s3.secret_key),
        ):
            project.pulumi("config", "set", "--stack", STACK, "--secret", "--path", key, value, env=cluster.environment)
        started = time.monotonic()
        up = project.pulumi(
            *("up", "--stack", STACK, "--yes", "--skip-preview", "--policy-pack", "policy"),
            timeout=2400,
            check=False,
            env=cluster.environment,
        )
        deployment = Deployment(cluster, project, settings, s3, up, time.monotonic() - started)
        assert up.returncode == 0, up.explain()
        yield deployment
    finally:
        if s3 is not None:
            s3.stop()
        stop_cluster()


def test_up_leaves_every_workload_ready(deployment: Deployment) -> None:
    workloads = deployment.workloads()
    assert sorted(w["metadata"]["name"] for w in workloads) == sorted(s.name for s in deployment.settings.services)
    not_ready = {
        w["metadata"]["name"]: (w["status"].get("readyReplicas", 0), w["spec"]["replicas"])
        for w in workloads
        if w["status"].get("readyReplicas", 0) != w["spec"]["replicas"]
    }
    assert not_ready == {}, deployment.up.output[-4000:]
    claims = deployment.cluster.json("-n", NAMESPACE, "get", "pvc")["items"]
    phases = {claim["metadata"]["name"]: claim["status"]["phase"] for claim in claims}
    prefix = deployment.settings.name_prefix
    # Claims no workload mounts wait for their first consumer (WaitForFirstConsumer), as on any cluster.
    in_use = {
        volume_claim_name(prefix, mount.volume) for spec in deployment.settings.services for mount in spec.volumes
    }
    assert {name: phases.get(name) for name in in_use} == dict.fromkeys(in_use, "Bound"), phases
    print(f"\nup from empty until every workload is ready: {deployment.up_seconds:.0f} s")


def test_a_preview_right_after_up_shows_no_changes(deployment: Deployment) -> None:
    preview = deployment.pulumi("preview", "--expect-no-changes", "--policy-pack", "policy", check=False)
    assert preview.returncode == 0, preview.explain()


def service_address(deployment: Deployment, name: str) -> tuple[str, int]:
    service = deployment.cluster.json("-n", NAMESPACE, "get", "service", name)
    return service["spec"]["clusterIP"], int(service["spec"]["ports"][0]["port"])


def service_url(deployment: Deployment, name: str) -> str:
    address, port = service_address(deployment, name)
    spec = next(s for s in deployment.settings.services if s.name == name)
    return f"http://{address}:{port}{spec.mcp_path}"


PROBES = (
    ("TCP", 53),
    ("UDP", 53),
    ("TCP", 80),
    ("TCP", 443),
    ("TCP", 8000),
    ("TCP", S3_PORT),
    ("TCP", 9090),
    ("TCP", 10443),
)
"""What the matrix tries against every destination: the ports the graph uses (the services', DNS, the repository's)
and those of what the stand-ins stand for (HTTP, HTTPS, Prometheus, the gateway proxies' listener)."""
LISTENED_PORTS = sorted({port for protocol, port in PROBES if protocol == "TCP"})


@pytest.fixture(scope="module")
def stand_ins(deployment: Deployment) -> Iterator[dict[str, pod_tools.PodEndpoint]]:
    """Pods with the labels of what the policies name outside the suite (the gateway's proxies, Prometheus, the
    blackbox exporter), a backup job's pod, and impostors of each in another namespace, each listening on the
    ports the matrix tries."""
    network, cluster = deployment.settings.network, deployment.cluster
    gateway = network.gateway_pods(NAMESPACE)
    trusted = {
        "envoy": (gateway.namespace, dict(gateway.pod_labels)),
        "prometheus": (network.prometheus.namespace, dict(network.prometheus.pod_labels)),
        "blackbox-exporter": (network.blackbox_exporter.namespace, dict(network.blackbox_exporter.pod_labels)),
        "backup": (NAMESPACE, backup_pod_labels()),
        "restore": (NAMESPACE, backup_job_labels("restore")),
    }
    callers = sorted({caller for spec in deployment.settings.services for caller in spec.callers})
    labels_of = {
        pod["metadata"]["labels"]["app.kubernetes.io/name"]: pod["metadata"]["labels"]
        for pod in deployment.service_pods()
    }
    wanted = {
        **trusted,
        **{f"{name}-impostor": ("default", labels) for name, (_, labels) in trusted.items()},
        **{f"{name}-impostor": ("default", dict(labels_of[name])) for name in callers},
    }
    for namespace in sorted({namespace for namespace, _ in wanted.values()} - {NAMESPACE, "default"}):
        cluster.kubectl("create", "namespace", namespace, check=False)
    cluster.kubectl(
        "apply",
        "-f",
        "-",
        stdin=json.dumps(
            {
                "apiVersion": "v1",
                "kind": "List",
                "items": [pod_tools.stand_in(name, namespace, labels) for name, (namespace, labels) in wanted.items()],
            }
        ),
    )
    pods = [
        p
        for namespace in {n for n, _ in wanted.values()}
        for p in pod_tools.wait_running(cluster, namespace, [name for name, (n, _) in wanted.items() if n == namespace])
    ]
    found = pod_tools.endpoints(cluster, pods)
    listeners = [run_listener(endpoint, LISTENED_PORTS) for endpoint in found.values()]
    try:
        yield found
    finally:
        for listener in listeners:
            listener.kill()


def test_every_service_answers_mcp_through_its_service(
    deployment: Deployment, stand_ins: dict[str, pod_tools.PodEndpoint]
) -> None:
    """The official Python SDK client, from the gateway proxies' network, calls one tool of every service through
    its Service's cluster address, in both of the SDK's modes, each speaking its revision."""
    assert set(CALLS) == {spec.name for spec in deployment.settings.services}
    visits_plan = json.dumps(visit_plan({name: service_url(deployment, name) for name in CALLS}))
    python = require_venv_tool("mcp", "python")
    for mode, revision in (("auto", "2026-07-28"), ("legacy", "2025-11-25")):
        result = stand_ins["envoy"].run(
            python, str(E2E_PEERS / "catalog_client.py"), str(UNUSED_CA), mode, stdin=visits_plan, timeout=300
        )
        assert result.returncode == 0, result.stderr[-4000:]
        visits = json.loads(result.stdout)
        assert {name: visit.get("error", visit.get("failed")) for name, visit in visits.items()} == dict.fromkeys(
            CALLS, False
        )
        assert ECHOED in " ".join(visits["everything"]["text"])
        assert all(visit["retries"] == 0 for visit in visits.values()), visits
        assert {name: visit["protocol"] for name, visit in visits.items()} == dict.fromkeys(CALLS, revision)


STATELESS = "sequential-thinking"
"""The stateless service the overlay runs with two replicas."""
SPREAD_CALLS = 40


def test_a_2026_client_needs_no_affinity_its_calls_land_on_both_replicas_and_every_target_is_scraped(
    deployment: Deployment, stand_ins: dict[str, pod_tools.PodEndpoint]
) -> None:
    """One 2026-07-28 client of the official Python SDK calls a tool of a stateless service 40 times, each request
    on a new connection, through its Service; the per-tool counters that Prometheus's stand-in scrapes from each
    replica (through the network policies, on the service port) show the calls answered by both, and all of them."""
    pods = [
        pod for pod in deployment.service_pods() if pod["metadata"]["labels"]["app.kubernetes.io/name"] == STATELESS
    ]
    assert len(pods) == 2, [pod["metadata"]["name"] for pod in pods]
    python = require_venv_tool("mcp", "python")
    tool, arguments = CALLS[STATELESS]

    def answered() -> dict[str, int]:
        """Each replica's count of answered calls of the tool, as Prometheus's stand-in scrapes it."""
        counts: dict[str, int] = {}
        for pod in pods:
            url = f"http://{pod['status']['podIP']}:8000/metrics"
            scraped = stand_ins["prometheus"].run(python, "-c", SCRAPE, url)
            assert scraped.returncode == 0, scraped.stderr[-2000:]
            counts[pod["metadata"]["name"]] = tool_calls(scraped.stdout, tool)
        return counts

    before = answered()
    result = stand_ins["envoy"].run(
        python,
        str(E2E_PEERS / "repeated_calls.py"),
        service_url(deployment, STATELESS),
        "auto",
        str(SPREAD_CALLS),
        tool,
        json.dumps(arguments),
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    assert json.loads(result.stdout) == {"protocol": "2026-07-28", "answered": SPREAD_CALLS, "failed": []}
    after = answered()
    spread = {name: after[name] - before[name] for name in after}
    print(f"\n{SPREAD_CALLS} calls of one 2026-07-28 client, answered per replica: {spread}")
    assert sum(spread.values()) == SPREAD_CALLS and all(spread.values()), spread


SCRAPE = "import sys, urllib.request; print(urllib.request.urlopen(sys.argv[1], timeout=10).read().decode())"


def tool_calls(metrics: str, tool: str) -> int:
    """The number of successful calls of `tool` in a bridge's metrics (Prometheus text format)."""
    prefix = "mcp_server_operation_duration_count{"
    return sum(
        int(float(line.rsplit(" ", 1)[1]))
        for line in metrics.splitlines()
        if line.startswith(prefix) and f'gen_ai_tool_name="{tool}"' in line and "error_type=" not in line
    )


def test_network_policies_allow_exactly_the_declared_graph(
    deployment: Deployment, stand_ins: dict[str, pod_tools.PodEndpoint]
) -> None:
    cluster = deployment.cluster
    service_pods = pod_tools.endpoints(cluster, deployment.service_pods())
    # One pod per service (replicas are alike), named as the service.
    by_service: dict[str, pod_tools.PodEndpoint] = {}
    for pod in deployment.service_pods():
        by_service.setdefault(
            pod["metadata"]["labels"]["app.kubernetes.io/name"], service_pods[pod["metadata"]["name"]]
        )
    dns = cluster.json("-n", "kube-system", "get", "pods", "-l", "k8s-app=kube-dns")["items"]
    coredns = pod_tools.endpoints(cluster, dns)
    sources = {**by_service, **stand_ins, "coredns": next(iter(coredns.values()))}
    destinations = {name: endpoint.ip for name, endpoint in sources.items()} | {"repository": HOST_ADDRESS}
    measured = measured_graph(Matrix(sources, destinations, PROBES))
    suite = {*by_service, "backup", "restore"}
    # Between pods outside the suite (and from them to this machine) nothing is declared and no policy of the
    # suite applies.
    measured = {edge for edge in measured if edge[0] in suite or edge[1] in suite}
    assert deployment.settings.cluster is not None and deployment.settings.cluster.backup_repository is not None
    declared = declared_graph(deployment.settings.services, deployment.settings.cluster.backup_repository)
    tried = len(sources) * len(destinations) * len(PROBES)
    print(f"\nreachability: {len(measured)} of about {tried} tried connections reached; declared {len(declared)}")
    assert measured - declared == set(), "reached but not declared:\n" + describe(measured - declared)
    assert declared - measured == set(), "declared but not reached:\n" + describe(declared - measured)


NON_CONFORMING = Path(__file__).with_name("non-conforming-pod.yaml")


def test_pod_security_admission_rejects_a_non_conforming_pod(deployment: Deployment) -> None:
    """The namespace enforces `restricted`: a pod that runs as root with a writable root filesystem, privilege
    escalation and no seccomp profile (a test fixture) is refused by the real admission, with its reasons."""
    result = deployment.cluster.run_kubectl("-n", NAMESPACE, "apply", "-f", str(NON_CONFORMING))
    assert result.returncode != 0
    assert 'violates PodSecurity "restricted:latest"' in result.stderr, result.stderr
    for reason in ("allowPrivilegeEscalation != false", "runAsNonRoot != true", "seccompProfile"):
        assert reason in result.stderr, result.stderr
    # And the controllers' pods were admitted under the same rule: every pod of the suite is running.
    assert deployment.service_pods()


def call(
    deployment: Deployment, via: pod_tools.PodEndpoint, service: str, tool: str, arguments: dict[str, Any]
) -> list[str]:
    """One tool call through the service's Service from `via`'s network; the text parts of the result."""
    plan = json.dumps({service: {"url": service_url(deployment, service), "tool": tool, "arguments": arguments}})
    result = via.run(
        require_venv_tool("mcp", "python"),
        str(E2E_PEERS / "catalog_client.py"),
        str(UNUSED_CA),
        "auto",
        stdin=plan,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    visit = json.loads(result.stdout)[service]
    assert "failed" not in visit and visit["error"] is False, visit
    return list(visit["text"])


def wait_ready(deployment: Deployment, kind: str, name: str, seconds: int = 300) -> None:
    deployment.cluster.kubectl(
        "-n", NAMESPACE, "rollout", "status", f"{kind}/{name}", f"--timeout={seconds}s", timeout=seconds + 30
    )


def test_deleting_a_stateful_pod_keeps_its_data(
    deployment: Deployment, stand_ins: dict[str, pod_tools.PodEndpoint]
) -> None:
    envoy = stand_ins["envoy"]
    entity = {"name": "kept-across-pods", "entityType": "test", "observations": ["written before the pod was deleted"]}
    call(deployment, envoy, "memory", "create_entities", {"entities": [entity]})
    pod = next(
        p["metadata"]["name"]
        for p in deployment.service_pods()
        if p["metadata"]["labels"]["app.kubernetes.io/name"] == "memory"
    )
    deployment.cluster.kubectl("-n", NAMESPACE, "delete", "pod", pod, "--wait=true", timeout=180)
    wait_ready(deployment, "statefulset", "memory")
    assert "kept-across-pods" in " ".join(call(deployment, envoy, "memory", "read_graph", {}))


def infra(
    deployment: Deployment, *args: str, stdin: str | None = None, timeout: float = 900
) -> subprocess.CompletedProcess[str]:
    """`python -m infra ARGS` in the project copy (whose staging is the deployed one), kubectl on PATH."""
    return subprocess.run(
        [str(PROJECT_DIR / ".venv" / "bin" / "python"), "-m", "infra", *args],
        cwd=deployment.project.directory,
        input=stdin,
        capture_output=True,
        text=True,
        env=deployment.cluster.with_kubectl(),
        timeout=timeout,
        check=False,
    )


def test_a_backup_job_runs_restic_and_a_restore_brings_the_data_back(
    deployment: Deployment, stand_ins: dict[str, pod_tools.PodEndpoint]
) -> None:
    """CronJob, then Job, then Pod: `backup-now --run` makes Jobs from the CronJobs, their pods back up to the S3
    server; after the data is lost, `restore --replace` brings it back."""
    envoy = stand_ins["envoy"]
    entity = {"name": "backed-up", "entityType": "test", "observations": ["in the snapshot"]}
    call(deployment, envoy, "memory", "create_entities", {"entities": [entity]})
    started = time.monotonic()
    backup = infra(deployment, "backup-now", "--stack", STACK, "--volume", "memory-graph", "--run")
    assert backup.returncode == 0, backup.stdout + backup.stderr
    backup_seconds = time.monotonic() - started
    call(deployment, envoy, "memory", "delete_entities", {"entityNames": ["backed-up"]})
    assert "backed-up" not in " ".join(call(deployment, envoy, "memory", "read_graph", {}))
    started = time.monotonic()
    deployment.cluster.kubectl("-n", NAMESPACE, "scale", "statefulset", "memory", "--replicas=0")
    deployment.cluster.kubectl(
        "-n",
        NAMESPACE,
        "wait",
        "--for=delete",
        "pod",
        "-l",
        "app.kubernetes.io/name=memory",
        "--timeout=180s",
        timeout=200,
    )
    manifests = infra(deployment, "restore", "--stack", STACK, "--volume", "memory-graph", "--replace")
    assert manifests.returncode == 0, manifests.stderr
    job = next(d for d in yaml.safe_load_all(manifests.stdout) if d and d["kind"] == "Job")["metadata"]["name"]
    deployment.cluster.kubectl("-n", NAMESPACE, "apply", "-f", "-", stdin=manifests.stdout)
    waited = deployment.cluster.kubectl(
        "-n", NAMESPACE, "wait", "--for=condition=complete", f"job/{job}", "--timeout=300s", timeout=330, check=False
    )
    if "condition met" not in waited:
        described = deployment.cluster.kubectl(
            "-n", NAMESPACE, "describe", "pods", "-l", f"job-name={job}", check=False
        )
        logs = deployment.cluster.kubectl("-n", NAMESPACE, "logs", f"job/{job}", check=False)
        raise AssertionError(f"the restore job did not complete:\n{described[-4000:]}\n{logs[-3000:]}")
    deployment.cluster.kubectl("-n", NAMESPACE, "scale", "statefulset", "memory", "--replicas=1")
    wait_ready(deployment, "statefulset", "memory")
    restore_seconds = time.monotonic() - started
    assert "backed-up" in " ".join(call(deployment, envoy, "memory", "read_graph", {}))
    objects = deployment.s3.objects("mcp-backups")
    assert any("mcp-staging/memory-graph" in key for key in objects), objects
    print(
        f"\nbackup of memory-graph: {backup_seconds:.0f} s; restore until the service is back: {restore_seconds:.0f} s"
    )


def images_of(deployment: Deployment, name: str) -> set[str]:
    """Images of the service's running pods, those being stopped left out."""
    pods = deployment.cluster.json("-n", NAMESPACE, "get", "pods", "-l", f"app.kubernetes.io/name={name}")["items"]
    return {
        c["image"]
        for p in pods
        if p["status"].get("phase") == "Running" and "deletionTimestamp" not in p["metadata"]
        for c in p["spec"]["containers"]
    }


def test_an_image_change_rolls_out_with_no_failed_request(
    deployment: Deployment, stand_ins: dict[str, pod_tools.PodEndpoint]
) -> None:
    """A new `everything` image rolls out (maxUnavailable 0) while a client keeps calling through the Service."""
    before = images_of(deployment, "everything")
    address, port = service_address(deployment, "everything")
    release_server(deployment.project.directory, "everything", "rollout test release")
    probe = stand_ins["envoy"].start(sys.executable, str(PEERS / "probe.py"), address, str(port), "/mcp", "stateless")
    assert probe.stdout is not None and probe.stdout.readline().strip() == "started"
    try:
        up = deployment.pulumi("up", "--yes", "--policy-pack", "policy", check=False)
    finally:
        figures = json.loads(probe.communicate(input="", timeout=120)[0])
    assert up.returncode == 0, up.explain()
    wait_ready(deployment, "deployment", "everything")
    after = images_of(deployment, "everything")
    assert after and after.isdisjoint(before), (before, after)
    print(f"\nrollout of a new everything image: {figures['answered']} answered, {len(figures['failures'])} failed")
    assert figures["failures"] == [], figures["failures"][:5]
    assert figures["answered"] > 0


def test_a_change_to_an_immutable_field_stops_before_anything_is_applied(deployment: Deployment) -> None:
    """A claim's access mode cannot change in place: replacing a protected claim is refused in the preview, and
    the stack is left exactly as it was. (ReadWriteOncePod is refused earlier, by the settings: backup pods could
    not mount the claims.)"""
    before = deployment.cluster.json("-n", NAMESPACE, "get", "pvc")["items"]
    deployment.pulumi("config", "set", "--path", "storage.accessMode", "ReadWriteMany")
    try:
        up = deployment.pulumi("up", "--yes", "--policy-pack", "policy", check=False)
    finally:
        deployment.pulumi("config", "rm", "--path", "storage.accessMode")
    assert up.returncode != 0
    assert "marked for protection" in up.output, up.output[-3000:]
    after = deployment.cluster.json("-n", NAMESPACE, "get", "pvc")["items"]
    assert [(c["metadata"]["uid"], c["spec"]["accessModes"]) for c in after] == [
        (c["metadata"]["uid"], c["spec"]["accessModes"]) for c in before
    ]
    preview = deployment.pulumi("preview", "--expect-no-changes", check=False)
    assert preview.returncode == 0, preview.explain()


def test_destroy_refuses_while_the_data_is_protected(deployment: Deployment) -> None:
    claims = {c["metadata"]["uid"] for c in deployment.cluster.json("-n", NAMESPACE, "get", "pvc")["items"]}
    destroy = deployment.pulumi("destroy", "--yes", check=False)
    assert destroy.returncode != 0
    assert "because it is protected" in destroy.output, destroy.output[-3000:]
    assert {c["metadata"]["uid"] for c in deployment.cluster.json("-n", NAMESPACE, "get", "pvc")["items"]} == claims
    assert len(deployment.workloads()) == len(deployment.settings.services)
