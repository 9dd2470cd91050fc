"""Named Docker allowances: a label requests one, the container's shape earns it, and it relaxes only its rules."""

from __future__ import annotations

from typing import Any

from components.render.monitoring.docker_stack import DOCKER_SOCKET_READER, NO_PROBE_TOOL, POLICY_ALLOWANCE_LABEL
from policy.mcp_policies.docker import ALLOWANCE_LABEL, ALLOWANCES
from tests.policy.resources import DOCKER_CONTAINER, changed, docker_container, violations

ALLOWANCE = "mcp-suite/policy-allowance"
HOST_MOUNTS = [
    {"hostPath": "/var/run/docker.sock", "containerPath": "/var/run/docker.sock", "readOnly": True},
    {"hostPath": "/sys", "containerPath": "/sys", "readOnly": True},
]


def labelled(props: dict[str, Any], allowances: str) -> dict[str, Any]:
    return changed(props, ("labels", [{"label": ALLOWANCE, "value": allowances}]))


def socket_reader(allowances: str = "docker-socket-reader") -> dict[str, Any]:
    return labelled(changed(docker_container(), ("user", "0:0"), ("volumes", HOST_MOUNTS)), allowances)


def ownership(allowances: str = "volume-ownership") -> dict[str, Any]:
    props = changed(
        docker_container(),
        ("user", "0:0"),
        ("capabilities", {"drops": ["ALL"], "adds": ["CHOWN"]}),
        ("networkMode", "none"),
        ("mustRun", False),
        ("healthcheck", None),
        ("ports", []),
    )
    return labelled(props, allowances)


def all_rules(props: dict[str, Any]) -> dict[str, list[str]]:
    names = ("non-root", "no-host-access", "capabilities-dropped", "probes-present", "resources-bounded")
    found = {name: violations(name, DOCKER_CONTAINER, props) for name in names}
    return {name: messages for name, messages in found.items() if messages}


def test_the_docker_socket_reader_may_run_as_root_and_read_its_two_host_paths() -> None:
    assert all_rules(socket_reader()) == {}


def test_without_the_label_the_same_container_fails() -> None:
    bare = changed(socket_reader(), ("labels", []))
    assert set(all_rules(bare)) == {"non-root", "no-host-access"}


def test_the_socket_reader_allowance_does_not_cover_another_or_a_writable_host_path() -> None:
    other = changed(socket_reader(), ("volumes", [*HOST_MOUNTS, {"hostPath": "/etc", "containerPath": "/etc"}]))
    assert set(all_rules(other)) == {"non-root", "no-host-access"}
    writable = changed(socket_reader(), ("volumes.0.readOnly", False))
    assert set(all_rules(writable)) == {"non-root", "no-host-access"}


def test_the_socket_reader_must_keep_every_capability_dropped() -> None:
    assert "non-root" in all_rules(
        changed(socket_reader(), ("capabilities", {"drops": ["ALL"], "adds": ["SYS_ADMIN"]}))
    )


def test_volume_ownership_may_chown_as_root_once_without_network() -> None:
    assert all_rules(ownership()) == {}


def test_volume_ownership_needs_no_network_and_to_run_once() -> None:
    assert set(all_rules(changed(ownership(), ("networkMode", "bridge")))) == {"non-root", "capabilities-dropped"}
    long_running = changed(ownership(), ("mustRun", True), ("restart", "unless-stopped"))
    assert set(all_rules(long_running)) == {"non-root", "capabilities-dropped", "probes-present"}


def test_no_probe_tool_relaxes_only_the_health_check() -> None:
    props = labelled(changed(docker_container(), ("healthcheck", None), ("user", "0:0")), "no-probe-tool")
    assert set(all_rules(props)) == {"non-root"}


def test_an_unknown_allowance_waives_nothing() -> None:
    assert set(all_rules(socket_reader("root-is-fine"))) == {"non-root", "no-host-access"}


def test_a_never_started_container_is_not_judged_as_a_running_process() -> None:
    writer = {"image": "sha256:" + "ab" * 32, "start": False, "mustRun": False, "volumes": []}
    assert all_rules(writer) == {}
    assert set(all_rules(changed(writer, ("start", None)))) == {
        "non-root",
        "capabilities-dropped",
        "resources-bounded",
    }


def test_the_program_requests_allowances_with_the_label_the_pack_reads() -> None:
    assert POLICY_ALLOWANCE_LABEL == ALLOWANCE_LABEL == ALLOWANCE
    assert {DOCKER_SOCKET_READER, NO_PROBE_TOOL} <= set(ALLOWANCES)
