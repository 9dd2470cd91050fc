"""Docker MonitoringStack under mocks: hardened, pinned containers on the internal network, UIs on loopback only."""

from __future__ import annotations

import pulumi
import pytest

from components.render.monitoring import docker_stack
from components.render.monitoring.parts import MonitoringParts
from components.spec import validate_image_reference
from infra.mock_runtime import REDACTED, Evaluation
from tests.helpers.stacks import REQUIRED_SECRET_KEYS, REQUIRED_SECRETS, evaluate_stack

ROLES = {"prometheus", "alertmanager", "grafana", "loki", "alloy", "blackbox"}


def containers(evaluation: Evaluation, kind: str = "") -> dict[str, dict[str, object]]:
    """The running containers by role, or with `kind` "-config-writer" the ones that hold their files."""
    found = {
        entry.name.removeprefix("monitoring-"): entry.inputs
        for entry in evaluation.of_type("docker:index/container:Container")
        if entry.parent == "monitoring"
    }
    if kind:
        return {name.removesuffix(kind): inputs for name, inputs in found.items() if name.endswith(kind)}
    return {name: inputs for name, inputs in found.items() if not name.endswith("-config-writer")}


def test_every_container_is_hardened_and_limited() -> None:
    found = containers(evaluate_stack("dev"))
    assert set(found) == ROLES
    for role, inputs in found.items():
        assert inputs["readOnly"] is True, role
        assert inputs["capabilities"] == {"drops": ["ALL"]}, role
        assert inputs["securityOpts"] == ["no-new-privileges:true"], role
        assert inputs["memory"] > 0 and float(str(inputs["cpus"])) > 0, role
        assert inputs["restart"] == "unless-stopped", role
        assert inputs["networksAdvanced"][0] == {"name": "mcp-dev-internal", "aliases": [role]}, role
        user = str(inputs["user"])
        # Alloy alone runs as root, to read the Docker socket; it keeps no capability.
        assert (user == "0:0") == (role == "alloy"), role


def test_health_checks_where_the_image_has_a_tool_to_run_them() -> None:
    found = containers(evaluate_stack("dev"))
    checked = {role for role, inputs in found.items() if inputs.get("healthcheck")}
    assert checked == {"prometheus", "alertmanager", "grafana", "blackbox"}
    assert found["prometheus"]["healthcheck"]["tests"][-1] == "http://127.0.0.1:9090/-/healthy"


def test_uis_are_published_on_loopback_only_and_the_rest_not_at_all() -> None:
    found = containers(evaluate_stack("dev"))
    published = {role: inputs["ports"] for role, inputs in found.items() if inputs.get("ports")}
    assert published == {
        "prometheus": [{"internal": 9090, "external": 19090, "ip": "127.0.0.1", "protocol": "tcp"}],
        "alertmanager": [{"internal": 9093, "external": 19093, "ip": "127.0.0.1", "protocol": "tcp"}],
        "grafana": [{"internal": 3000, "external": 19100, "ip": "127.0.0.1", "protocol": "tcp"}],
    }


def test_images_are_pinned_and_pulled() -> None:
    evaluation = evaluate_stack("dev", overrides={"monitoring": {"tracing": True}})
    images = {
        entry.inputs["name"]
        for entry in evaluation.of_type("docker:index/remoteImage:RemoteImage")
        if entry.parent == "monitoring"
    }
    assert images == {role.image for role in docker_stack.roles(MonitoringParts(tracing=True), retention="15d")}
    assert all(validate_image_reference(image) for image in images)
    assert "jaeger" in containers(evaluation)


def test_tracing_is_off_by_default_on_dev() -> None:
    assert "jaeger" not in containers(evaluate_stack("dev"))


def test_grafana_password_and_receiver_credentials_stay_secret() -> None:
    evaluation = evaluate_stack(
        "dev",
        overrides={
            "monitoring": {"receivers": {"page": {"kind": "pagerduty"}}},
            **REQUIRED_SECRETS,
            "monitoringSecrets": {"grafanaAdminPassword": "admin-pw-987", "page": "pd-key-654"},
        },
        secret_keys=REQUIRED_SECRET_KEYS,
        placeholder_secrets=False,
    )
    found = containers(evaluation)
    assert found["grafana"]["envs"] == REDACTED
    assert containers(evaluation, "-config-writer")["alertmanager"]["uploads"] == REDACTED
    assert "admin-pw-987" not in repr(evaluation.registrations)
    assert "pd-key-654" not in repr(evaluation.registrations)


def test_configs_reach_containers_through_a_volume_a_writer_fills() -> None:
    # The real engine refuses any upload into a container whose root filesystem is read-only, even onto a volume.
    evaluation = evaluate_stack("dev")
    writers = containers(evaluation, "-config-writer")
    for role, inputs in containers(evaluation).items():
        assert "uploads" not in inputs, role
        mounts = {volume["containerPath"]: volume for volume in inputs["volumes"]}
        assert mounts[docker_stack.CONFIG_DIR]["volumeName"] == f"mcp-dev-{role}-config", role
        writer = writers[role]
        assert (writer["start"], writer["mustRun"]) == (False, False), role
        assert writer["volumes"] == [{"volumeName": f"mcp-dev-{role}-config", "containerPath": "/etc/mcp-monitoring"}]
        assert all(upload["file"].startswith(docker_stack.CONFIG_DIR) for upload in writer["uploads"]), role
        options = evaluation.named(f"monitoring-{role}", "docker:index/container:Container").options
        assert options["replaceWith"] == options["dependsOn"] == [f"monitoring-{role}-config-writer"], role


@pytest.mark.parametrize("enabled", [True, False])
def test_monitoring_can_be_switched_off(enabled: bool) -> None:
    evaluation = evaluate_stack("dev", overrides={"monitoring": {"enabled": enabled}})
    assert bool(evaluation.of_type("mcp-suite:docker:MonitoringStack")) is enabled


def test_only_alloy_reaches_the_host_and_only_read_only() -> None:
    found = containers(evaluate_stack("dev"))
    host_mounts = {
        role: sorted(volume["hostPath"] for volume in inputs["volumes"] if "hostPath" in volume)
        for role, inputs in found.items()
    }
    assert host_mounts == {role: [] for role in ROLES} | {"alloy": ["/sys", "/var/run/docker.sock"]}
    assert all(volume.get("readOnly") for volume in found["alloy"]["volumes"] if "hostPath" in volume)
    assert found["alloy"]["cgroupnsMode"] == "host"
    assert all("cgroupnsMode" not in inputs for role, inputs in found.items() if role != "alloy")


def exported_monitoring(monkeypatch: pytest.MonkeyPatch, monitoring: dict[str, object]) -> tuple[Evaluation, object]:
    """The stack evaluated with `monitoring`, and its `monitoring` output (the UI URLs) as resolved."""
    exports: dict[str, object] = {}

    def record(name: str, value: object) -> None:
        pulumi.Output.from_input(value).apply(lambda resolved: exports.__setitem__(name, resolved))

    monkeypatch.setattr(pulumi, "export", record)
    evaluation = evaluate_stack("dev", overrides={"monitoring": monitoring})
    return evaluation, exports["monitoring"]


@pytest.mark.parametrize(
    ("monitoring", "off"),
    [
        ({"dashboards": False}, {"grafana"}),
        ({"logs": False}, {"loki", "alloy"}),
        ({"dashboards": False, "logs": False}, {"grafana", "loki", "alloy"}),
    ],
    ids=["no-dashboards", "no-logs", "neither"],
)
def test_a_part_turned_off_runs_no_container_pulls_no_image_and_keeps_no_volume(
    monkeypatch: pytest.MonkeyPatch, monitoring: dict[str, object], off: set[str]
) -> None:
    evaluation, urls = exported_monitoring(monkeypatch, monitoring)
    assert set(containers(evaluation)) == ROLES - off
    # A machine that cannot get the Grafana, Loki or Alloy images can run the stack without them.
    images = {
        entry.inputs["name"]
        for entry in evaluation.of_type("docker:index/remoteImage:RemoteImage")
        if entry.parent == "monitoring"
    }
    unavailable = {role.image for role in docker_stack.roles(MonitoringParts(), "15d") if role.name in off}
    assert unavailable and not images & unavailable
    volumes = {entry.inputs["name"] for entry in evaluation.of_type("docker:index/volume:Volume")}
    assert not [volume for volume in volumes if any(volume.startswith(f"mcp-dev-{role}-") for role in off)]
    expected = {"prometheus": "http://127.0.0.1:19090", "alertmanager": "http://127.0.0.1:19093"}
    if "grafana" not in off:
        expected["grafana"] = "http://127.0.0.1:19100"
    assert urls == expected


def test_the_monitoring_output_names_grafana_when_it_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    _, urls = exported_monitoring(monkeypatch, {})
    assert urls == {
        "prometheus": "http://127.0.0.1:19090",
        "alertmanager": "http://127.0.0.1:19093",
        "grafana": "http://127.0.0.1:19100",
    }


def test_without_dashboards_no_grafana_password_is_needed() -> None:
    evaluation = evaluate_stack(
        "dev",
        overrides={"monitoring": {"dashboards": False}, **REQUIRED_SECRETS, "monitoringSecrets": None},
        secret_keys=REQUIRED_SECRET_KEYS,
        placeholder_secrets=False,
    )
    assert "grafana" not in containers(evaluation)
    assert {"prometheus", "alertmanager", "loki", "alloy", "blackbox"} <= set(containers(evaluation))
