"""The whole program per stack, as preview and as update: what each target registers and exports."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from infra.stack_files import available_stacks
from tests.helpers.stacks import E2E_STACKS, KOYEB_STACKS, KUBERNETES_STACKS, STACKS, evaluate_stack

CATALOG = {"everything", "filesystem", "memory", "sequential-thinking"}
STATEFUL = {"filesystem", "memory"}


def test_every_stack_file_is_covered_by_a_stack_test() -> None:
    assert sorted(available_stacks()) == sorted(STACKS + KOYEB_STACKS + E2E_STACKS)


@pytest.mark.parametrize("preview", [True, False], ids=["preview", "update"])
@pytest.mark.parametrize("stack", STACKS)
def test_stack_evaluates_in_preview_and_update(stack: str, preview: bool) -> None:
    evaluation = evaluate_stack(stack, preview=preview)
    components = {e.name for e in evaluation.registrations if e.type.endswith(":McpService")}
    assert components == CATALOG
    # Sorted: registrations arrive from the SDK's worker threads, in no guaranteed order.
    providers = sorted(e.type for e in evaluation.registrations if e.type.startswith("pulumi:providers:"))
    expected = {
        "dev": ["pulumi:providers:docker"],
        "staging": ["pulumi:providers:cloudflare", "pulumi:providers:kubernetes"],
        "prod": ["pulumi:providers:cloudflare", "pulumi:providers:kubernetes"],
    }
    assert providers == expected[stack]


def test_dev_is_local_docker_only() -> None:
    evaluation = evaluate_stack("dev")
    counts = Counter(e.type for e in evaluation.registrations if e.parent in CATALOG)
    assert counts["docker:index/container:Container"] == len(CATALOG)
    assert counts["docker:index/remoteImage:RemoteImage"] == 0  # every default server runs an image built here
    builds = evaluation.of_type("docker:index/image:Image")
    assert {b.inputs["imageName"].split(":")[0] for b in builds} == {f"mcp-suite/{name}" for name in CATALOG}
    assert all(b.inputs["skipPush"] is True for b in builds)  # dev builds locally and pushes nowhere
    assert not any(e.type.startswith("kubernetes:") for e in evaluation.registrations)
    internal = evaluation.named("internal-network").inputs
    assert internal["internal"] is True


def test_dev_gateway_is_the_single_published_entry() -> None:
    evaluation = evaluate_stack("dev")
    published = {
        e.name: [(p["ip"], p["external"]) for p in e.inputs.get("ports", [])]
        for e in evaluation.of_type("docker:index/container:Container")
    }
    assert published.pop("gateway-container") == [("127.0.0.1", 8443)]
    # MCP services publish nothing: the gateway is their single entry. Monitoring UIs are loopback-only.
    assert all(evaluation.service_container(name).inputs.get("ports", []) == [] for name in CATALOG)
    assert all(address == "127.0.0.1" for ports in published.values() for address, _ in ports)
    # No default server downloads anything at start, so none has a route out: only the internal network.
    for name in CATALOG:
        networks = [n["name"] for n in evaluation.service_container(name).inputs["networksAdvanced"]]
        assert networks == ["mcp-dev-internal"]
    gateway_networks = [n["name"] for n in evaluation.named("gateway-container").inputs["networksAdvanced"]]
    assert gateway_networks == ["mcp-dev-internal", "mcp-dev-gateway"]
    networks = {e.name for e in evaluation.of_type("docker:index/network:Network")}
    assert networks == {"internal-network", "gateway-network"}


def test_a_service_that_declares_egress_gets_the_egress_network() -> None:
    overrides = {"serviceOverrides": {"memory": {"egress": [{"host": "api.example.com", "ports": [443]}]}}}
    evaluation = evaluate_stack("dev", overrides=overrides)
    networks = [n["name"] for n in evaluation.named("memory-container").inputs["networksAdvanced"]]
    assert networks == ["mcp-dev-internal", "mcp-dev-egress"]
    assert evaluation.named("egress-network").inputs.get("internal") in (None, False)


@pytest.mark.parametrize("stack", KUBERNETES_STACKS)
def test_kubernetes_routes_every_service_through_one_tls_host(stack: str) -> None:
    evaluation = evaluate_stack(stack)
    assert not evaluation.of_type("kubernetes:networking.k8s.io/v1:Ingress")
    routes = {
        e.inputs["metadata"]["name"]: e.inputs
        for e in evaluation.of_type("kubernetes:gateway.networking.k8s.io/v1:HTTPRoute")
    }
    assert set(routes) == CATALOG
    host = f"mcp-origin.{'staging.' if stack == 'staging' else ''}example.com"
    assert {name for route in routes.values() for name in route["spec"]["hostnames"]} == {host}
    assert {ref["name"] for route in routes.values() for ref in route["spec"]["parentRefs"]} == {"mcp"}
    (gateway,) = evaluation.of_type("kubernetes:gateway.networking.k8s.io/v1:Gateway")
    (listener,) = gateway.inputs["spec"]["listeners"]
    assert (listener["hostname"], listener["port"], listener["protocol"]) == (host, 443, "HTTPS")
    assert listener["tls"]["certificateRefs"] == [{"kind": "Secret", "name": f"mcp-{stack}-ingress-tls"}]
    policies = {
        e.inputs["metadata"]["name"] for e in evaluation.of_type("kubernetes:networking.k8s.io/v1:NetworkPolicy")
    }
    # The tunnel's connector is the one pod besides the services that the stack runs in its namespace.
    assert policies == CATALOG | {"default-deny", "backups", "restores", "cloudflared"}


@pytest.mark.parametrize("stack", KUBERNETES_STACKS)
def test_kubernetes_namespace_enforces_restricted_pod_security(stack: str) -> None:
    namespace = evaluate_stack(stack).named("namespace").inputs
    assert namespace["metadata"]["name"] == f"mcp-{stack}"
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"


@pytest.mark.parametrize("stack", KUBERNETES_STACKS)
def test_stateful_services_are_statefulsets_and_stateless_are_autoscaled(stack: str) -> None:
    evaluation = evaluate_stack(stack)
    stateful_sets = {e.inputs["metadata"]["name"] for e in evaluation.of_type("kubernetes:apps/v1:StatefulSet")}
    deployments = {
        e.inputs["metadata"]["name"] for e in evaluation.of_type("kubernetes:apps/v1:Deployment") if e.parent in CATALOG
    }
    autoscaled = {
        e.inputs["spec"]["scaleTargetRef"]["name"]
        for e in evaluation.of_type("kubernetes:autoscaling/v2:HorizontalPodAutoscaler")
    }
    budgets = {
        e.inputs["metadata"]["name"]
        for e in evaluation.of_type("kubernetes:policy/v1:PodDisruptionBudget")
        if e.parent in CATALOG
    }
    assert stateful_sets == STATEFUL
    assert deployments == autoscaled == budgets == CATALOG - STATEFUL


def test_prod_runs_more_replicas_than_staging() -> None:
    def floors(stack: str) -> dict[str, int]:
        return {
            e.inputs["spec"]["scaleTargetRef"]["name"]: e.inputs["spec"]["minReplicas"]
            for e in evaluate_stack(stack).of_type("kubernetes:autoscaling/v2:HorizontalPodAutoscaler")
        }

    staging, prod = floors("staging"), floors("prod")
    assert all(prod[name] > staging[name] >= 2 for name in staging)


VOLUMES = {f"storage-{purpose}" for purpose in ("memory-graph", "filesystem", "logs", "snapshots", "task-queues")}


@pytest.mark.parametrize("stack", STACKS)
def test_stateful_storage_is_protected_and_retained_only_in_prod(stack: str) -> None:
    evaluation = evaluate_stack(stack)
    storage_types = ("kubernetes:core/v1:PersistentVolumeClaim", "docker:index/volume:Volume")
    volumes = [e for e in evaluation.registrations if e.type in storage_types and e.parent == "storage"]
    # All five purposes exist on every target; dev also keeps its backup repository and status on volumes.
    support = {"storage-backup-repository", "storage-backup-status"} if stack == "dev" else set()
    assert {e.name for e in volumes} == VOLUMES | support
    for volume in volumes:
        assert volume.parent == "storage"
        expected = stack == "prod"
        assert (volume.options["protect"], volume.options["retainOnDelete"]) == (expected, expected)


@pytest.mark.parametrize("stack", KUBERNETES_STACKS)
def test_workloads_wait_for_their_claims(stack: str) -> None:
    evaluation = evaluate_stack(stack)
    memory = evaluation.named("memory-workload")
    assert "storage-memory-graph" in memory.options["dependsOn"]


BACKED_UP = {"memory-graph", "filesystem", "snapshots", "task-queues"}


def test_prod_render_protects_every_claim_and_backs_up_every_stateful_volume() -> None:
    evaluation = evaluate_stack("prod")
    claims = evaluation.of_type("kubernetes:core/v1:PersistentVolumeClaim")
    assert len(claims) == 5
    assert all(claim.options["protect"] and claim.options["retainOnDelete"] for claim in claims)
    cron_jobs = {e.inputs["metadata"]["name"]: e.inputs for e in evaluation.of_type("kubernetes:batch/v1:CronJob")}
    assert set(cron_jobs) == {f"mcp-prod-backup-{purpose}" for purpose in BACKED_UP}
    for name, job in cron_jobs.items():
        pod = job["spec"]["jobTemplate"]["spec"]["template"]["spec"]
        claim = next(v["persistentVolumeClaim"] for v in pod["volumes"] if "persistentVolumeClaim" in v)
        assert claim == {"claimName": name.replace("-backup", ""), "readOnly": True}
        assert "s3:https://s3.placeholder.invalid/mcp-backups/mcp-prod/" in pod["containers"][0]["command"][2]
    # The services' ReadWriteOnce claims are backed up from the service's node; unmounted ones anywhere.
    memory_pod = cron_jobs["mcp-prod-backup-memory-graph"]["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    selector = memory_pod["affinity"]["podAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"][0]
    assert selector["labelSelector"]["matchLabels"]["app.kubernetes.io/name"] == "memory"
    snapshots_pod = cron_jobs["mcp-prod-backup-snapshots"]["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    assert "affinity" not in snapshots_pod


def test_backup_jobs_wait_for_their_claims_and_credentials() -> None:
    evaluation = evaluate_stack("staging")
    job = evaluation.named("backups-memory-graph")
    assert {"backups-credentials", "storage-memory-graph"} <= set(job.options["dependsOn"])


def test_dev_backs_up_into_a_local_volume_and_reports_a_textfile_metric() -> None:
    evaluation = evaluate_stack("dev")
    backup = evaluation.named("backups-container").inputs
    assert backup["name"] == "mcp-dev-backup"
    mounts = {m["containerPath"]: (m["volumeName"], m.get("readOnly")) for m in backup["volumes"]}
    assert mounts["/repository"] == ("mcp-dev-backup-repository", None)
    assert mounts["/status"] == ("mcp-dev-backup-status", None)
    assert {path for path, (_, read_only) in mounts.items() if read_only} == {f"/data/{p}" for p in BACKED_UP}
    assert "mcp_backup_last_success_timestamp_seconds" in backup["command"][0]
    # Services start once their volumes exist and belong to their non-root user.
    assert "storage" in evaluation.named("memory").options["dependsOn"]


def test_disabled_backups_deploy_no_backup_objects() -> None:
    evaluation = evaluate_stack("prod", overrides={"backup": {"enabled": False}})
    assert evaluation.of_type("kubernetes:batch/v1:CronJob") == []
    assert len(evaluation.of_type("kubernetes:core/v1:PersistentVolumeClaim")) == 5


def test_dev_hot_reload_mounts_the_checkout_read_only_and_tells_the_bridge(tmp_path: Path) -> None:
    (tmp_path / "package.json").write_text('{"name": "@modelcontextprotocol/server-memory"}')
    evaluation = evaluate_stack("dev", overrides={"serviceOverrides": {"memory": {"devSource": str(tmp_path)}}})
    container = evaluation.named("memory-container").inputs
    assert {"hostPath": str(tmp_path), "containerPath": "/app/dev-source", "readOnly": True} in container["volumes"]
    assert container["command"][-2:] == ["--dev-source", "/app/dev-source"]
    assert "--dev-source" not in evaluation.named("filesystem-container").inputs["command"]
