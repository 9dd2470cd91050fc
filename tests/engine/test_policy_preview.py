"""The policy pack and the program's own checks under the real Pulumi CLI: the pack starts from a fresh checkout,
judges every resource of a preview (nothing left "can't run" for an unknown value) and refuses each violation it
names before anything exists; a bad config stops with the program's one message, no traceback, nothing created."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from infra.stack_files import PROJECT_DIR
from tests.engine import violation_cases
from tests.helpers.engine import Project, Run, engine_environment, project_copy

pytestmark = pytest.mark.slow
CANNOT_RUN = re.compile(r"can't run policy", re.IGNORECASE)
PACK = "mcp-suite-standards"


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Project]:
    engine_environment()
    # The scripts that pass the pack prepare its virtualenv; the CLI does not (a fresh checkout would hang).
    subprocess.run([str(PROJECT_DIR / "scripts" / "venv"), "policy"], check=True, timeout=600)
    yield project_copy(tmp_path_factory.mktemp("engine-policy"))


def new_stack(project: Project, stack: str, cwd: str = ".") -> None:
    project.pulumi("stack", "init", stack, "--cwd", cwd)


def resources_in_state(project: Project, stack: str, cwd: str = ".") -> list[str]:
    """Types of what the stack's state holds, but the stack itself and provider instances: what a run created."""
    exported = json.loads(project.pulumi("stack", "export", "--stack", stack, "--cwd", cwd).stdout)
    types = [resource["type"] for resource in exported.get("deployment", {}).get("resources") or []]
    return [kind for kind in types if not kind.startswith("pulumi:")]


def dev_preview(project: Project, *extra: str) -> Run:
    return project.pulumi("preview", "--stack", "dev", "--policy-pack", "policy", *extra, timeout=900, check=False)


def test_dev_preview_judges_every_resource(project: Project) -> None:
    new_stack(project, "dev")
    for key in ("backupSecrets.password", "monitoringSecrets.grafanaAdminPassword"):
        project.pulumi("config", "set", "--stack", "dev", "--secret", "--path", key, "not-a-real-secret")
    run = dev_preview(project)
    assert run.returncode == 0, run.explain()
    assert not CANNOT_RUN.search(run.output), run.explain()
    assert PACK in run.output, run.explain()
    assert resources_in_state(project, "dev") == [], "a preview created resources"


def test_dev_preview_refuses_tags_where_the_pack_requires_digests(project: Project, tmp_path: Path) -> None:
    config = tmp_path / "policy.json"
    config.write_text(json.dumps({"images-pinned": {"requireImageDigests": True}}))
    run = dev_preview(project, "--policy-pack-config", str(config))
    assert run.returncode != 0, run.explain()
    assert "images-pinned" in run.output
    assert "has no @sha256 digest" in run.output, run.explain()
    assert resources_in_state(project, "dev") == [], "a refused preview created resources"


@pytest.mark.parametrize("stack", ["test", "prod"])
def test_pack_refuses_each_violation_at_preview(project: Project, stack: str) -> None:
    fixture = "tests/engine/violations"
    new_stack(project, stack, fixture)
    run = project.pulumi(
        "preview",
        "--stack",
        stack,
        "--cwd",
        fixture,
        "--policy-pack",
        str(project.directory / "policy"),
        timeout=600,
        check=False,
        env={"PYTHONPATH": str(project.directory)},
    )
    assert run.returncode != 0, run.explain()
    assert not CANNOT_RUN.search(run.output), run.explain()
    reported = reported_violations(run.output)
    expected = {(rule, rule) for rule in violation_cases.VIOLATIONS} | {("unpinned-pull", "images-pinned")}
    if stack == "prod":
        expected.add(("unprotected-volume", "stateful-storage-protected"))
    assert reported == expected, run.explain()
    assert resources_in_state(project, stack, fixture) == [], "a refused preview created resources"


def reported_violations(output: str) -> set[tuple[str, str]]:
    """(resource name, policy) pairs of the CLI's policy report, from lines like
    `- [mandatory]  non-root  (docker:index:Container: non-root)` under the pack's heading."""
    assert PACK in output, output
    pattern = re.compile(r"\[mandatory\]\s+(\S+)\s+\(\S+:\S+:\S+: ([^)]+)\)")
    return {(name.strip(), policy) for policy, name in pattern.findall(output)}


def test_bad_config_stops_with_one_clear_message_and_creates_nothing(project: Project) -> None:
    new_stack(project, "bad")
    project.pulumi("config", "set", "--stack", "bad", "--path", "serviceOverrides.memory.tier", "huge")
    project.pulumi("config", "set", "--stack", "bad", "--path", "monitoring.logs", "maybe")
    run = project.pulumi("up", "--yes", "--stack", "bad", "--policy-pack", "policy", timeout=600, check=False)
    assert run.returncode != 0
    # Every problem at once, the two secrets a new stack lacks among them, each with its fix.
    assert "Invalid configuration for stack 'bad' (4 problems):" in run.output, run.explain()
    for key in ("services.memory.tier", "monitoring.logs", "backupSecrets.password", "grafanaAdminPassword"):
        assert key in run.output, run.explain()
    assert "Traceback" not in run.output, run.explain()
    assert resources_in_state(project, "bad") == [], "a refused update created resources"
