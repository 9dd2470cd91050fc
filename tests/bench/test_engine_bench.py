"""`python -m bench --engine` under the real engine: the floor previews exactly what the program creates, the CPU
time is attributed to the engine's processes, and the credential-free diff finds a pull request's change at 100
services."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import diff_timing, engine_preview
from bench.process_cpu import role
from tests.helpers.docker_engine import require_engine
from tests.helpers.engine import engine_environment

ENGINE = "/cache/engine/bin"


@pytest.mark.parametrize(
    ("command_line", "expected"),
    [
        (["pulumi", "preview", "--stack", "bench-10"], "engine (CLI)"),
        ([f"{ENGINE}/pulumi-language-python", "127.0.0.1:41319"], "language host"),
        (["/p/.venv/bin/python", "-m", "pip", "list", "--format", "json"], "language host"),
        (["/p/.venv/bin/python", f"{ENGINE}/pulumi-language-python-exec", "--monitor", "127.0.0.1:1"], "program"),
        (["/p/policy/venv/bin/python", "-u", "-m", "pulumi.policy", "127.0.0.1:1", "/p/policy"], "policy pack"),
        (["/home/plugins/resource-docker-v5.1.0/pulumi-resource-docker", "127.0.0.1:1"], "provider docker"),
        (["/usr/bin/git", "status"], "other"),
    ],
)
def test_each_engine_process_is_counted_under_its_role(command_line: list[str], expected: str) -> None:
    assert role(command_line) == expected


@pytest.mark.slow
def test_the_floor_previews_the_programs_custom_resources_under_the_real_engine(tmp_path: Path) -> None:
    engine_environment()
    require_engine()  # the docker provider connects to the engine even to preview
    sides = engine_preview.Sides(tmp_path)
    # measure() refuses a floor whose preview creates other than the program's custom resources.
    results = engine_preview.measure(sides, 6, rounds=1)
    assert [result.mode for result in results] == list(engine_preview.MODES)
    for result in results:
        figures = result.as_json()
        assert result.customs > 6 and result.components > 6
        for side in engine_preview.SIDES:
            roles = figures["cpu_by_role"][side]
            assert {"engine (CLI)", "language host", "program", "provider docker"} <= set(roles)
            # Sampled per process, so a little below the kernel's total of everything the call reaped.
            assert 0.5 * figures["cpu_seconds"][side] < sum(roles.values()) <= 1.05 * figures["cpu_seconds"][side]
        assert figures["policy_pack"]["wall_seconds"] > 0
        print(f"\n6 services, {result.mode}: {figures}")


@pytest.mark.slow
def test_the_credential_free_diff_finds_a_pull_requests_change_at_100_services(tmp_path: Path) -> None:
    timing = diff_timing.measure(tmp_path, 100)
    for stack, (added, removed, changed) in timing.counts.items():
        # The new service's resources, nothing removed, the two changed services' workloads at least.
        assert added >= 2 and removed == 0 and changed >= 2, (stack, timing.counts)
    print(f"\npython -m infra diff at 100 services: {timing.seconds:.1f} s, {timing.counts}")
