"""Kubernetes VolumeBackups under mocks: a Secret and one hardened CronJob per claim, running the deployed script."""

from __future__ import annotations

from typing import Any

import kubernetes_validate
import pulumi

from components.kubernetes.volume_backups import BackedUpClaim, VolumeBackups, VolumeBackupsArgs, volume_job
from components.render import backup_kubernetes as render_k8s
from components.render.backup import RESTIC_IMAGE, backup_script
from infra.mock_runtime import REDACTED, Evaluation, evaluate

COLOCATE = {"app.kubernetes.io/name": "memory", "app.kubernetes.io/part-of": "mcp-suite"}


def build(s3: bool = True) -> Evaluation:
    def program() -> VolumeBackups:
        return VolumeBackups(
            "backups",
            VolumeBackupsArgs(
                namespace="mcp-test",
                name_prefix="mcp-test",
                schedule="15 3 * * *",
                image=RESTIC_IMAGE,
                repository="s3:https://s3.example.com/bucket/mcp-test",
                claims=[
                    BackedUpClaim("memory-graph", "mcp-test-memory-graph", 10001, COLOCATE),
                    BackedUpClaim("snapshots", "mcp-test-snapshots"),
                ],
                password=pulumi.Output.secret("restic-pass-123"),
                s3_credentials=(pulumi.Output.secret("AKIA-key-id"), pulumi.Output.secret("s3-secret-456"))
                if s3
                else None,
            ),
        )

    return evaluate("test", {}, frozenset(), program)


def cron_jobs(evaluation: Evaluation) -> dict[str, dict[str, Any]]:
    return {e.name: e.inputs for e in evaluation.of_type("kubernetes:batch/v1:CronJob")}


def test_one_cron_job_per_claim_on_the_schedule_in_utc_never_overlapping() -> None:
    jobs = cron_jobs(build())
    assert sorted(jobs) == ["backups-memory-graph", "backups-snapshots"]
    for inputs in jobs.values():
        spec = inputs["spec"]
        assert (spec["schedule"], spec["timeZone"], spec["concurrencyPolicy"]) == ("15 3 * * *", "Etc/UTC", "Forbid")
    assert jobs["backups-memory-graph"]["metadata"]["name"] == "mcp-test-backup-memory-graph"


def test_the_job_runs_the_rendered_script_against_the_claim_read_only() -> None:
    pod = cron_jobs(build())["backups-memory-graph"]["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    container = pod["containers"][0]
    expected_script = backup_script(volume_job("mcp-test", "s3:https://s3.example.com/bucket/mcp-test", "memory-graph"))
    assert container["command"] == ["/bin/sh", "-c", expected_script]
    assert "--keep-daily 7 --keep-weekly 4 --keep-monthly 12 --prune" in expected_script
    assert "s3:https://s3.example.com/bucket/mcp-test/memory-graph" in expected_script
    assert container["image"] == RESTIC_IMAGE
    claims = {v["name"]: v["persistentVolumeClaim"] for v in pod["volumes"] if "persistentVolumeClaim" in v}
    assert claims == {"data": {"claimName": "mcp-test-memory-graph", "readOnly": True}}
    assert {"name": "data", "mountPath": "/data", "readOnly": True} in container["volumeMounts"]
    assert {"name": "RESTIC_CACHE_DIR", "value": "/cache"} in container["env"]
    assert {"name": "cache", "emptyDir": {"sizeLimit": "1Gi"}} in pod["volumes"]


def test_the_pod_meets_restricted_pod_security_and_is_schema_valid() -> None:
    for inputs in cron_jobs(build()).values():
        pod = inputs["spec"]["jobTemplate"]["spec"]["template"]["spec"]
        container = pod["containers"][0]
        assert container["securityContext"] == {
            "allowPrivilegeEscalation": False,
            "privileged": False,
            "readOnlyRootFilesystem": True,
            "runAsNonRoot": True,
            "runAsUser": 10001,
            "runAsGroup": 10001,
            "capabilities": {"drop": ["ALL"]},
            "seccompProfile": {"type": "RuntimeDefault"},
        }
        assert pod["securityContext"]["fsGroup"] == 10001
        assert pod["automountServiceAccountToken"] is False
        assert all(set(volume) & {"persistentVolumeClaim", "emptyDir", "secret"} for volume in pod["volumes"])
        kubernetes_validate.validate(inputs, kubernetes_validate.latest_version(), strict=True)


def test_a_read_write_once_claim_is_backed_up_on_its_services_node() -> None:
    jobs = cron_jobs(build())
    affinity = jobs["backups-memory-graph"]["spec"]["jobTemplate"]["spec"]["template"]["spec"]["affinity"]
    assert affinity == {
        "podAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": [
                {"labelSelector": {"matchLabels": COLOCATE}, "topologyKey": "kubernetes.io/hostname"}
            ]
        }
    }
    assert "affinity" not in jobs["backups-snapshots"]["spec"]["jobTemplate"]["spec"]["template"]["spec"]


def test_password_and_s3_keys_stay_secret() -> None:
    evaluation = build()
    secret = evaluation.named("backups-credentials").inputs
    assert secret["metadata"]["name"] == "mcp-test-backup"
    assert secret["stringData"] == REDACTED
    everything = repr([entry.inputs for entry in evaluation.registrations])
    for value in ("restic-pass-123", "AKIA-key-id", "s3-secret-456"):
        assert value not in everything
    for inputs in cron_jobs(evaluation).values():
        pod = inputs["spec"]["jobTemplate"]["spec"]["template"]["spec"]
        container = pod["containers"][0]
        # Mounted read-only as files, never in the environment (checkov CKV_K8S_35).
        assert "envFrom" not in container
        assert {"name": "credentials", "secret": {"secretName": "mcp-test-backup", "defaultMode": 0o440}} in pod[
            "volumes"
        ]
        assert {"name": "credentials", "mountPath": "/run/secrets/restic", "readOnly": True} in container[
            "volumeMounts"
        ]
        assert {
            "RESTIC_PASSWORD_FILE": "/run/secrets/restic/restic-password",
            "AWS_SHARED_CREDENTIALS_FILE": "/run/secrets/restic/aws-credentials",
        }.items() <= {entry["name"]: entry["value"] for entry in container["env"]}.items()


def test_without_s3_keys_restic_is_pointed_at_no_credentials_file() -> None:
    for inputs in cron_jobs(build(s3=False)).values():
        env = inputs["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["env"]
        assert "AWS_SHARED_CREDENTIALS_FILE" not in {entry["name"] for entry in env}


def test_the_s3_credentials_file_has_one_default_profile() -> None:
    assert render_k8s.s3_credentials_file("AKIA-key-id", "s3-secret-456") == (
        "[default]\naws_access_key_id = AKIA-key-id\naws_secret_access_key = s3-secret-456\n"
    )


def test_children_are_parented_and_named_from_the_component() -> None:
    evaluation = build(s3=False)
    assert {child.name for child in evaluation.children_of("backups")} == {
        "backups-credentials",
        "backups-memory-graph",
        "backups-snapshots",
    }
    assert evaluation.named("backups-memory-graph").options["dependsOn"] == ["backups-credentials"]
