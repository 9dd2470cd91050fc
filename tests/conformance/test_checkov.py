"""checkov over what the program deploys: every rendered Kubernetes manifest of staging and prod, and every
Dockerfile in the repository. Zero failed checks; every skip carries its reason, has a line in docs/policy.md, and
is still needed (without it, exactly that check fails)."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.render.checkov_skips import ANNOTATION_PREFIX
from infra.render import write_render
from infra.stack_files import PROJECT_DIR, read_stack_config
from tests.helpers.stacks import KUBERNETES_STACKS, evaluate_stack
from tests.helpers.tools import require_venv_tool

REPORT_ARGS = ("--compact", "--skip-download", "-o", "json")
NOT_SOURCE = (".git", ".venv", ".tools", "node_modules", "policy/venv", "render", ".pulumi-state")
DOCKERFILE = re.compile(r"^(Dockerfile(\..+)?|.+\.[Dd]ockerfile)$")
RESULT_KINDS = ("passed_checks", "failed_checks", "skipped_checks")


def checkov(*args: str) -> dict[str, Any]:
    """checkov's JSON report (it exits 1 when a check fails, so the exit code alone says little)."""
    done = subprocess.run(
        [require_venv_tool("checkov"), *args, *REPORT_ARGS], capture_output=True, text=True, timeout=600, check=False
    )
    assert done.returncode in (0, 1), done.stderr[-2000:]
    report = json.loads(done.stdout)
    assert isinstance(report, dict), "expected one framework's report"
    # With nothing to scan, checkov prints the summary alone.
    return report if "results" in report else {"summary": report, "results": {kind: [] for kind in RESULT_KINDS}}


def results(report: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return list(report["results"].get(kind, []))


@cache
def kubernetes_report(directory: Path) -> dict[str, Any]:
    return checkov("-d", str(directory), "--framework", "kubernetes")


def without_skips(source: Path, target: Path) -> Path:
    """A copy of the manifests with every checkov skip annotation removed."""
    target.mkdir()
    for path in sorted(source.glob("*.yaml")):
        manifest = yaml.safe_load(path.read_text())
        annotations = manifest.get("metadata", {}).get("annotations", {})
        for key in [key for key in annotations if key.startswith(ANNOTATION_PREFIX)]:
            del annotations[key]
        (target / path.name).write_text(yaml.safe_dump(manifest, sort_keys=True))
    return target


def documented_skips() -> dict[str, str]:
    """Check id -> the docs line that explains its skip (docs/policy.md, table 'checkov skips')."""
    text = (PROJECT_DIR / "docs" / "policy.md").read_text()
    return {
        match.group(1): line for line in text.splitlines() if (match := re.match(r"^\| `(CKV2?_[A-Z0-9_]+)`", line))
    }


@pytest.mark.parametrize("stack", KUBERNETES_STACKS)
def test_rendered_manifests_fail_no_checkov_check(render_dir: Callable[[str], Path], stack: str) -> None:
    directory = render_dir(stack) / "kubernetes"
    report = kubernetes_report(directory)
    summary = report["summary"]
    assert [(r["check_id"], r["resource"]) for r in results(report, "failed_checks")] == []
    assert summary["parsing_errors"] == 0
    assert summary["resource_count"] >= len(list(directory.glob("*.yaml")))
    assert summary["passed"] >= 300


@pytest.mark.parametrize("stack", KUBERNETES_STACKS)
def test_every_skip_has_a_reason_and_a_line_in_the_docs(render_dir: Callable[[str], Path], stack: str) -> None:
    skipped = results(kubernetes_report(render_dir(stack) / "kubernetes"), "skipped_checks")
    assert skipped, "expected the documented skips"
    documented = documented_skips()
    for result in skipped:
        reason = result["check_result"].get("suppress_comment") or ""
        assert len(reason) > 20, result["check_id"]
        assert result["check_id"] in documented, f"{result['check_id']} is skipped but not in docs/policy.md"


@pytest.mark.parametrize("stack", KUBERNETES_STACKS)
def test_every_skip_is_still_needed(render_dir: Callable[[str], Path], stack: str, tmp_path: Path) -> None:
    directory = render_dir(stack) / "kubernetes"
    skipped = {(r["check_id"], r["resource"]) for r in results(kubernetes_report(directory), "skipped_checks")}
    bare = checkov("-d", str(without_skips(directory, tmp_path / "bare")), "--framework", "kubernetes")
    failing = {(r["check_id"], r["resource"]) for r in results(bare, "failed_checks")}
    assert failing == skipped, "a skip that no longer hides a failure must go (and its line in docs/policy.md)"


def test_a_service_with_secret_env_still_fails_no_check(tmp_path: Path) -> None:
    catalog = json.loads(read_stack_config("prod").values["mcp-suite:services"])
    catalog["everything"]["secretEnv"] = ["UPSTREAM_API_KEY"]
    write_render(evaluate_stack("prod", overrides={"services": catalog}, preview=True), tmp_path / "render")
    report = kubernetes_report(tmp_path / "render" / "kubernetes")
    assert results(report, "failed_checks") == []
    skipped = {(r["check_id"], r["resource"]) for r in results(report, "skipped_checks")}
    assert ("CKV_K8S_35", "Deployment.mcp-prod.everything") in skipped
    assert not any(check == "CKV_K8S_35" and "everything" not in resource for check, resource in skipped)


def repository_dockerfiles() -> list[str]:
    found = []
    for path in PROJECT_DIR.rglob("*"):
        relative = path.relative_to(PROJECT_DIR).as_posix()
        outside = any(relative.startswith(f"{part}/") for part in NOT_SOURCE)
        if path.is_file() and DOCKERFILE.match(path.name) and not outside:
            found.append(f"/{relative}")
    return sorted(found)


def test_every_dockerfile_in_the_repository_passes_checkov() -> None:
    discovered = repository_dockerfiles()
    skip_paths = [argument for part in NOT_SOURCE for argument in ("--skip-path", f"{re.escape(part)}/")]
    reports = [checkov("-d", str(PROJECT_DIR), "--framework", "dockerfile", *skip_paths)]
    scanned_by_directory = {r["file_path"] for kind in RESULT_KINDS for r in results(reports[0], kind)}
    assert scanned_by_directory <= set(discovered)
    if discovered:
        # Named one by one as well: a directory scan passes over hidden folders such as .github.
        files = [argument for name in discovered for argument in ("-f", str(PROJECT_DIR) + name)]
        reports.append(checkov(*files, "--framework", "dockerfile"))
        scanned = {
            r["file_path"].removeprefix(str(PROJECT_DIR)) for kind in RESULT_KINDS for r in results(reports[1], kind)
        }
        assert sorted(scanned) == discovered
    assert [(r["check_id"], r["file_path"]) for report in reports for r in results(report, "failed_checks")] == []


def test_checkov_dockerfile_checks_catch_a_bad_dockerfile(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM debian:bookworm\nRUN apt-get update\n")
    (tmp_path / "backup.Dockerfile").write_text("FROM debian:bookworm\nUSER 10001\nHEALTHCHECK CMD true\n")
    report = checkov("-d", str(tmp_path), "--framework", "dockerfile")
    failed = {(r["file_path"], r["check_id"]) for r in results(report, "failed_checks")}
    assert {("/Dockerfile", "CKV_DOCKER_2"), ("/Dockerfile", "CKV_DOCKER_3")} <= failed
    assert not any(path == "/backup.Dockerfile" for path, _ in failed)


def test_checkov_is_the_pinned_version() -> None:
    version = subprocess.run(
        [require_venv_tool("checkov"), "--version"], capture_output=True, text=True, check=True
    ).stdout.strip()
    pinned = re.search(r"^checkov==(\S+)$", (PROJECT_DIR / "tools" / "checkov.txt").read_text(), re.MULTILINE)
    assert pinned is not None and version == pinned.group(1)
