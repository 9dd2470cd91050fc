"""Docker StorageVolumes and VolumeBackups under mocks: owned, protected volumes and a hardened backup loop."""

from __future__ import annotations

import pulumi
import pulumi_docker as docker
import pytest

from components.docker.mcp_service import DockerVolume
from components.docker.storage_volumes import StorageVolumes, StorageVolumesArgs
from components.docker.volume_backups import VolumeBackups, VolumeBackupsArgs, volume_jobs
from components.render.backup import backup_all_script, scheduled_backups_script
from infra.mock_runtime import REDACTED, Evaluation, evaluate

OWNERS = {"memory-graph": 10001, "filesystem": 10002, "backup-status": 10001}


def build_storage(protect: bool) -> Evaluation:
    def program() -> StorageVolumes:
        return StorageVolumes(
            "storage",
            StorageVolumesArgs(
                name_prefix="mcp-test", owners=OWNERS, protect=protect, stack="test", ownership_image="restic-id"
            ),
        )

    return evaluate("test", {}, frozenset(), program)


@pytest.mark.parametrize("protect", [True, False])
def test_volumes_are_labelled_and_protected_when_asked(protect: bool) -> None:
    evaluation = build_storage(protect)
    volumes = evaluation.of_type("docker:index/volume:Volume")
    assert {v.inputs["name"] for v in volumes} == {
        "mcp-test-memory-graph",
        "mcp-test-filesystem",
        "mcp-test-backup-status",
    }
    for volume in volumes:
        assert volume.parent == "storage"
        assert (volume.options["protect"], volume.options["retainOnDelete"]) == (protect, protect)
        labels = {label["label"]: label["value"] for label in volume.inputs["labels"]}
        assert labels["mcp-suite/volume-purpose"] == volume.name.removeprefix("storage-")


def test_each_volume_root_is_handed_to_its_owner_by_a_one_off_chown_only_container() -> None:
    ownership = build_storage(False).named("storage-ownership").inputs
    assert ownership["command"] == [
        "chown 10001:10001 /volumes/memory-graph && chown 10002:10002 /volumes/filesystem"
        " && chown 10001:10001 /volumes/backup-status"
    ]
    assert ownership["capabilities"] == {"drops": ["ALL"], "adds": ["CHOWN"]}
    assert (ownership["mustRun"], ownership["attach"], ownership["networkMode"]) == (False, True, "none")
    assert ownership["readOnly"] is True


def build_backups(repository: str | None) -> Evaluation:
    def program() -> VolumeBackups:
        def volume(purpose: str) -> DockerVolume:
            return DockerVolume(purpose, docker.Volume(f"v-{purpose}", name=f"mcp-test-{purpose}"))

        return VolumeBackups(
            "backups",
            VolumeBackupsArgs(
                container_name="mcp-test-backup",
                name_prefix="mcp-test",
                stack="test",
                image="sha256:restic",
                schedule="0 1 * * *",
                sources=[volume("memory-graph"), volume("filesystem")],
                status_volume=volume("backup-status"),
                repository_volume=volume("backup-repository") if repository is None else None,
                repository=repository,
                password=pulumi.Output.secret("restic-pass-123"),
                s3_credentials=(pulumi.Output.secret("AKIA-1"), pulumi.Output.secret("s3-secret-2"))
                if repository
                else None,
            ),
        )

    return evaluate("test", {}, frozenset(), program)


def test_backup_container_is_hardened_and_reads_the_volumes_read_only() -> None:
    c = build_backups(None).named("backups-container").inputs
    assert c["user"] == "10001:10001"
    assert c["readOnly"] is True
    assert c["capabilities"] == {"drops": ["ALL"]}
    assert c["securityOpts"] == ["no-new-privileges:true"]
    assert set(c["tmpfs"]) == {"/tmp", "/cache"}
    assert c["networkMode"] == "none"
    assert c["volumes"] == [
        {"volumeName": "mcp-test-memory-graph", "containerPath": "/data/memory-graph", "readOnly": True},
        {"volumeName": "mcp-test-filesystem", "containerPath": "/data/filesystem", "readOnly": True},
        {"volumeName": "mcp-test-backup-status", "containerPath": "/status"},
        {"volumeName": "mcp-test-backup-repository", "containerPath": "/repository"},
    ]


def test_backup_container_runs_the_rendered_schedule_and_scripts() -> None:
    evaluation = build_backups(None)
    c = evaluation.named("backups-container").inputs
    assert c["entrypoints"] == ["/bin/sh", "-c"]
    loop = c["command"][0]
    jobs = volume_jobs("mcp-test", None, ["memory-graph", "filesystem"])
    assert loop == scheduled_backups_script("0 1 * * *", jobs)
    script = backup_all_script(jobs)
    assert "/repository/memory-graph" in script and "/repository/filesystem" in script
    assert "--host mcp-test-memory-graph" in script
    assert 'mcp_backup_last_success_timestamp_seconds{volume="filesystem"}' in script


def test_s3_repository_gets_a_network_and_secret_credentials() -> None:
    evaluation = build_backups("s3:https://s3.example.com/bucket/dev")
    c = evaluation.named("backups-container").inputs
    assert c["networkMode"] == "bridge"
    assert "s3:https://s3.example.com/bucket/dev/memory-graph" in c["command"][0]
    assert c["envs"] == REDACTED
    everything = repr([entry.inputs for entry in evaluation.registrations])
    for value in ("restic-pass-123", "AKIA-1", "s3-secret-2"):
        assert value not in everything
