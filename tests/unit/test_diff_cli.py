"""`python -m infra diff` on a throwaway git repository holding a copy of the project.

Each test clones a repository whose one commit is the project as it is now, edits the clone's working tree the
way a pull request would, and diffs against that commit: nothing depends on this repository's own history.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from infra.stack_files import PROJECT_DIR

# A fixed identity, and no user or system git config (signing, hooks, default branch) to get in the way.
GIT_IDENTITY = {
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_AUTHOR_NAME": "test",
    "GIT_AUTHOR_EMAIL": "test@example.invalid",
    "GIT_COMMITTER_NAME": "test",
    "GIT_COMMITTER_EMAIL": "test@example.invalid",
}
WORKLOAD = "kubernetes:apps/v1:Deployment everything-workload"
IMAGE_BUILD = "docker:index/image:Image image-everything-build"
IMAGE_PATH = "inputs.spec.template.spec.containers[0].image"
SERVICE = "sequential-thinking"


def git(repo: Path, *args: str) -> str:
    result = subprocess.run(
        ["git", *args], cwd=repo, capture_output=True, text=True, check=True, env={**os.environ, **GIT_IDENTITY}
    )
    return result.stdout


@pytest.fixture(scope="module")
def origin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A repository whose single commit on `main` is the project's current files."""
    repo = tmp_path_factory.mktemp("origin")
    files = git(PROJECT_DIR, "ls-files", "--cached", "--others", "--exclude-standard").splitlines()
    for name in files:
        source = PROJECT_DIR / name
        if source.is_file():
            (repo / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, repo / name)
    git(repo, "init", "--quiet", "--initial-branch=main")
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "-m", "project as it is now")
    return repo


@pytest.fixture
def checkout(origin: Path, tmp_path: Path) -> Path:
    clone = tmp_path / "checkout"
    git(tmp_path, "clone", "--quiet", str(origin), str(clone))
    return clone


def diff_cli(checkout: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "infra", "diff", *args], cwd=checkout, capture_output=True, text=True, timeout=300
    )


def edit_yaml(path: Path, change: Callable[[dict[str, Any]], None]) -> None:
    document = yaml.safe_load(path.read_text())
    change(document)
    path.write_text(yaml.safe_dump(document, sort_keys=False))


def test_a_change_to_one_servers_image_is_exactly_that_build_and_its_rollout(checkout: Path) -> None:
    # Any file that enters the everything image changes its content-addressed tag, hence its digest.
    manifest_path = checkout / "images" / "servers" / "everything" / "package.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["description"] += " (rebuilt)"
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n")

    result = diff_cli(checkout, "--stack", "staging", "--base", "origin/main")

    assert result.returncode == 2, result.stderr
    commit = git(checkout, "rev-parse", "origin/main").strip()
    lines = result.stdout.splitlines()
    assert lines[0] == (
        f"Stack 'staging' (origin/main ({commit[:12]}) -> working tree): 0 to add, 0 to remove, 2 to change"
    )
    assert [line.strip() for line in lines if line.startswith("  ~ ")] == [f"~ {IMAGE_BUILD}", f"~ {WORKLOAD}"]
    changed_paths = [line.strip().split(":")[0] for line in lines if line.startswith("      ")]
    assert changed_paths == ["inputs.build.args.REVISION", "inputs.imageName", IMAGE_PATH]
    image_line = next(line for line in lines if line.strip().startswith(IMAGE_PATH))
    assert "registry.example.com/mcp-suite/everything@sha256:" in image_line


def test_no_change_shows_none_and_exits_zero(checkout: Path) -> None:
    result = diff_cli(checkout, "--stack", "staging", "--stack", "prod", "--base", "main")

    assert result.returncode == 0, result.stderr
    label = f"main ({git(checkout, 'rev-parse', 'main').strip()[:12]})"
    assert result.stdout == (
        f"Stack 'staging' ({label} -> working tree): no changes\nStack 'prod' ({label} -> working tree): no changes\n"
    )


def test_a_removed_service_shows_its_resources_removed_in_markdown(checkout: Path) -> None:
    edit_yaml(checkout / "Pulumi.yaml", lambda doc: doc["config"]["services"]["default"].pop(SERVICE))
    edit_yaml(checkout / "Pulumi.staging.yaml", lambda doc: doc["config"]["mcp-suite:serviceOverrides"].pop(SERVICE))
    git(checkout, "commit", "--quiet", "--all", "-m", "retire sequential-thinking")

    result = diff_cli(checkout, "--stack", "staging", "--base", "origin/main", "--markdown")

    assert result.returncode == 2, result.stderr
    assert "### Stack `staging`: 0 to add, 14 to remove, 2 to change, 1 tool change(s)" in result.stdout
    removed = [line for line in result.stdout.splitlines() if line.startswith("- ")]
    assert removed == [
        # No service runs its image any more, so the stack stops building it.
        "- docker:index/image:Image image-sequential-thinking-build",
        "- kubernetes:apps/v1:Deployment sequential-thinking-workload",
        "- kubernetes:autoscaling/v2:HorizontalPodAutoscaler sequential-thinking-autoscaler",
        "- kubernetes:core/v1:ConfigMap monitoring-dashboard-mcp-service-sequential-thinking",
        "- kubernetes:core/v1:ConfigMap sequential-thinking-env",
        "- kubernetes:core/v1:Service sequential-thinking-service",
        "- kubernetes:gateway.envoyproxy.io/v1alpha1:BackendTrafficPolicy gateway-backend-policy-sequential-thinking",
        "- kubernetes:gateway.networking.k8s.io/v1:HTTPRoute gateway-route-sequential-thinking",
        "- kubernetes:monitoring.coreos.com/v1:Probe monitoring-probe-sequential-thinking",
        "- kubernetes:monitoring.coreos.com/v1:ServiceMonitor monitoring-service-monitor-sequential-thinking",
        "- kubernetes:networking.k8s.io/v1:NetworkPolicy network-policies-sequential-thinking",
        "- kubernetes:policy/v1:PodDisruptionBudget sequential-thinking-disruption-budget",
        "- mcp-suite:images:BuiltImage image-sequential-thinking",
        "- mcp-suite:kubernetes:McpService sequential-thinking",
        # Its tools leave with it: clients of the stack lose them.
        "- tool sequential-thinking/sequentialthinking",
    ]
    assert not [line for line in result.stdout.splitlines() if line.startswith("+ ")]
    # What still changes is the monitoring generated from the catalog, which no longer names the service.
    changed = [line for line in result.stdout.splitlines() if line.startswith("~ ")]
    assert changed == [
        "~ kubernetes:core/v1:ConfigMap monitoring-dashboard-mcp-overview",
        "~ kubernetes:monitoring.coreos.com/v1:PrometheusRule monitoring-rules",
    ]


def test_a_working_tree_that_does_not_render_is_an_error_naming_the_problem(checkout: Path) -> None:
    edit_yaml(
        checkout / "Pulumi.staging.yaml",
        lambda doc: doc["config"]["mcp-suite:serviceOverrides"]["everything"].update(image="docker.io/x/y:latest"),
    )

    result = diff_cli(checkout, "--stack", "staging", "--base", "origin/main")

    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("error: stack 'staging' does not render in the working tree:\n")
    assert "mcp-suite:services.everything.image: 'docker.io/x/y:latest' uses the moving tag 'latest'" in result.stderr


def test_a_base_without_the_render_command_is_an_error_saying_so(checkout: Path) -> None:
    git(checkout, "checkout", "--quiet", "-b", "before-render")
    (checkout / "infra" / "__main__.py").write_text("import sys\nsys.exit('usage: python -m infra (nothing yet)')\n")
    git(checkout, "commit", "--quiet", "--all", "-m", "before the render command")
    git(checkout, "checkout", "--quiet", "main")

    result = diff_cli(checkout, "--stack", "staging", "--base", "before-render")

    assert result.returncode == 1
    assert "error: stack 'staging' does not render at before-render (" in result.stderr
    assert "usage: python -m infra (nothing yet)" in result.stderr


def test_a_base_holding_a_link_out_of_the_tree_is_an_error_not_a_traceback(checkout: Path) -> None:
    git(checkout, "checkout", "--quiet", "-b", "with-venv-link")
    (checkout / "venv-link").symlink_to("/usr")
    git(checkout, "add", "venv-link")
    git(checkout, "commit", "--quiet", "-m", "a virtualenv link committed by mistake")
    git(checkout, "checkout", "--quiet", "main")

    result = diff_cli(checkout, "--stack", "staging", "--base", "with-venv-link")

    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "error: the tree at with-venv-link " in result.stderr and "cannot be extracted safely" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("--stack", "staging", "--base", "no-such-branch"),
            "error: unknown git ref 'no-such-branch': not a branch, tag or commit here; fetch it first",
        ),
        (
            ("--stack", "qa", "--base", "main"),
            "known stacks: dev, e2e, koyeb, prod, staging",
        ),
        (("--stack", "staging"), "error: the following arguments are required: --base"),
    ],
)
def test_bad_arguments_exit_one_with_a_clear_message(checkout: Path, args: tuple[str, ...], message: str) -> None:
    result = diff_cli(checkout, *args)

    assert result.returncode == 1
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


MEMORY_COMMAND = "@modelcontextprotocol/server-memory@2026.8.31"
# The release before it, as published on the npm registry.
OLDER_MEMORY_COMMAND = "@modelcontextprotocol/server-memory@2026.7.4"


def move_memory_to_the_older_release(checkout: Path) -> None:
    """What such a pull request changes: the image's server package (the catalog derives the command from it)."""
    manifest_path = checkout / "images" / "servers" / "memory" / "package.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["dependencies"]["@modelcontextprotocol/server-memory"] = "2026.7.4"
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n")


def test_a_server_release_that_rewords_one_tool_shows_that_tool_and_its_texts(checkout: Path) -> None:
    # The pull request moves memory to another release and records that release's tools, one reworded.
    move_memory_to_the_older_release(checkout)
    manifest_path = checkout / "catalog-tools.json"
    manifest = json.loads(manifest_path.read_text())
    tools = [dict(tool) for tool in manifest[MEMORY_COMMAND]]
    old_text = next(tool for tool in tools if tool["name"] == "read_graph")["description"]
    for tool in tools:
        if tool["name"] == "read_graph":
            tool["description"] = "Read the whole graph, and say how large it is"
    manifest[OLDER_MEMORY_COMMAND] = tools
    manifest_path.write_text(json.dumps(manifest))

    result = diff_cli(checkout, "--stack", "staging", "--base", "origin/main")

    assert result.returncode == 2, result.stderr
    tool_lines = [
        line.strip() for line in result.stdout.splitlines() if line.strip()[:7] in ("+ tool ", "- tool ", "~ tool ")
    ]
    new_text = json.dumps("Read the whole graph, and say how large it is")
    assert tool_lines == [f"~ tool memory/read_graph: description {json.dumps(old_text)} -> {new_text}"]


def test_a_server_command_without_recorded_tools_is_flagged(checkout: Path) -> None:
    move_memory_to_the_older_release(checkout)

    result = diff_cli(checkout, "--stack", "staging", "--base", "origin/main")

    assert f"! memory runs {OLDER_MEMORY_COMMAND}, whose tools catalog-tools.json lacks" in result.stdout
