"""The GitHub workflows: actionlint (with shellcheck on every `run:` script) and what the deploy process promises.

actionlint knows the workflow syntax, the expression contexts and the event payloads, so a typo in a workflow fails
here rather than on the first real pull request. It knows the inputs of popular actions only by their major tag
(`pulumi/actions@v7`), so with actions pinned to commits it no longer checks those inputs. zizmor audits the same
files for supply-chain risks: unpinned actions, secrets handed over whole, dangerous triggers.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from bench.engine_preview import MODES
from infra.stack_files import PROJECT_DIR
from tests.helpers.tools import require_tool

GITHUB_DIR = PROJECT_DIR / ".github"

WORKFLOWS = PROJECT_DIR / ".github" / "workflows"
PULUMI_ACTION = "pulumi/actions"
# A local action or a full commit: a tag (v6) can be moved to other code, a branch (@main) moves by itself.
PINNED_ACTION = re.compile(r"^(\./.+|[\w.-]+/[\w./-]+@[0-9a-f]{40})$")


def workflow(name: str) -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((WORKFLOWS / name).read_text())
    # YAML 1.1 reads the key `on` as the boolean True.
    document["on"] = document.pop(True)
    return document


def steps_using(job: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [step for step in job["steps"] if str(step.get("uses", "")).partition("@")[0] == action]


def actionlint(directory: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [require_tool("actionlint"), "-no-color", "-oneline", "-shellcheck", require_tool("shellcheck"), "-pyflakes="],
        cwd=directory,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_actionlint_and_shellcheck_pass_on_every_workflow() -> None:
    result = actionlint(PROJECT_DIR)
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_rejects_a_workflow_with_a_mistake(tmp_path: Path) -> None:
    shutil.copytree(PROJECT_DIR / ".github", tmp_path / ".github")
    subprocess.run(["git", "init", "--quiet"], cwd=tmp_path, check=True)
    preview = tmp_path / ".github" / "workflows" / "preview.yml"
    preview.write_text(preview.read_text().replace("timeout-minutes: 30", "timeout-minute: 30", 1))

    result = actionlint(tmp_path)

    assert result.returncode == 1
    assert 'unexpected key "timeout-minute"' in result.stdout


@pytest.mark.parametrize(
    "path", sorted(PROJECT_DIR.glob(".github/actions/*/action.yml")), ids=lambda path: path.parent.name
)
def test_local_actions_pin_the_actions_they_use(path: Path) -> None:
    steps = yaml.safe_load(path.read_text())["runs"]["steps"]
    uses = [step["uses"] for step in steps if "uses" in step]
    assert uses
    assert all(PINNED_ACTION.match(action) for action in uses), uses


def test_ci_runs_the_same_commands_as_the_ci_script() -> None:
    runs = [step.get("run", "") for step in workflow("ci.yml")["jobs"]["test"]["steps"]]
    assert any(run.endswith("bash .ci/run") for run in runs)


@pytest.mark.parametrize("name", sorted(path.name for path in WORKFLOWS.glob("*.yml")))
def test_every_action_is_pinned_and_no_workflow_runs_untrusted_code_with_secrets(name: str) -> None:
    document = workflow(name)
    assert "pull_request_target" not in document["on"]
    for job in document["jobs"].values():
        for step in job.get("steps", []):
            if "uses" in step:
                assert PINNED_ACTION.match(step["uses"]), f"{name}: {step['uses']} is not pinned to a commit"


def test_pull_requests_get_a_pulumi_preview_of_staging_and_prod_with_the_policy_pack() -> None:
    preview = workflow("preview.yml")
    assert "pull_request" in preview["on"]
    job = preview["jobs"]["preview"]
    assert [entry["stack"] for entry in job["strategy"]["matrix"]["include"]] == ["staging", "prod"]
    assert job["if"] == "github.event.pull_request.head.repo.full_name == github.repository"
    (step,) = steps_using(job, PULUMI_ACTION)
    assert step["with"]["command"] == "preview"
    assert step["with"]["stack-name"] == "${{ matrix.stack }}"
    assert {key: step["with"][key] for key in ("diff", "comment-on-pr", "edit-pr-comment", "policyPacks")} == {
        "diff": True,
        "comment-on-pr": True,
        "edit-pr-comment": True,
        "policyPacks": "policy",
    }


def test_previews_skip_the_discarded_checkpoints_and_no_update_does() -> None:
    (preview,) = steps_using(workflow("preview.yml")["jobs"]["preview"], PULUMI_ACTION)
    assert preview["env"]["PULUMI_SKIP_CHECKPOINTS"] == MODES["workflow"]["PULUMI_SKIP_CHECKPOINTS"] == "true"
    for name in sorted(path.name for path in WORKFLOWS.glob("*.yml")):
        document = workflow(name)
        for job in document["jobs"].values():
            for step in steps_using(job, PULUMI_ACTION):
                if step["with"]["command"] != "preview":
                    # An update's checkpoints are what an interrupted `up` or `destroy` recovers from.
                    assert "PULUMI_SKIP_CHECKPOINTS" not in {
                        **document.get("env", {}),
                        **job.get("env", {}),
                        **step.get("env", {}),
                    }, (name, step.get("name"))


def test_every_pull_request_gets_the_credential_free_diff_without_secrets_or_write_access() -> None:
    preview = workflow("preview.yml")
    assert preview["permissions"] == {"contents": "read"}
    job = preview["jobs"]["diff"]
    assert "if" not in job and "permissions" not in job
    scripts = "\n".join(step.get("run", "") for step in job["steps"])
    assert 'python -m infra diff --stack staging --stack prod --base "$BASE_REF" --markdown' in scripts
    # The only secret the diff job touches is whether one exists, to decide who comments.
    assert re.findall(r"secrets\.\w+", yaml.safe_dump(job)) == ["secrets.PULUMI_BACKEND_URL"]
    comment = workflow("preview-comment.yml")
    assert comment["on"] == {"workflow_run": {"workflows": ["preview"], "types": ["completed"]}}
    assert not [step for step in comment["jobs"]["comment"]["steps"] if "actions/checkout" in step.get("uses", "")]


def test_main_deploys_staging_and_release_tags_deploy_prod_behind_an_approval_after_a_backup() -> None:
    deploy = workflow("deploy.yml")
    assert deploy["on"]["push"] == {"branches": ["main"], "tags": ["v*"]}
    staging, prod = deploy["jobs"]["staging"], deploy["jobs"]["prod"]
    assert staging["if"] == "github.event_name == 'push' && github.ref == 'refs/heads/main'"
    assert steps_using(staging, PULUMI_ACTION)[0]["with"]["stack-name"] == "staging"
    assert prod["if"] == "startsWith(github.ref, 'refs/tags/v')"
    assert prod["environment"] == "production"
    names = [step.get("name", step.get("uses", "")) for step in prod["steps"]]
    backup = names.index("Back up the stateful volumes now")
    # Two updates: the image builds alone (then signed and verified), then the whole stack.
    images, up = steps_using(prod, PULUMI_ACTION)
    assert backup < prod["steps"].index(images) < prod["steps"].index(up)
    assert "scripts/backup-now prod" in prod["steps"][backup]["run"]
    assert images["with"]["target"] == "urn:pulumi:prod::mcp-suite::**::image-*"
    assert (up["with"]["command"], up["with"]["stack-name"], "target" in up["with"]) == ("up", "prod", False)


@pytest.mark.parametrize("name", ["preview.yml", "deploy.yml"])
def test_backend_passphrase_and_credentials_come_from_secrets(name: str) -> None:
    for job in workflow(name)["jobs"].values():
        for step in steps_using(job, PULUMI_ACTION):
            settings = {**step["with"], **step.get("env", {})}
            for key in ("cloud-url", "secrets-provider", "PULUMI_CONFIG_PASSPHRASE", "PULUMI_ACCESS_TOKEN"):
                assert re.fullmatch(r"\$\{\{ secrets\.[A-Z_]+ \}\}", settings[key]), (name, key, settings[key])


def zizmor(directory: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [require_tool("zizmor"), "--offline", "--no-progress", "--min-severity", "medium", "--format", "plain", "."],
        cwd=directory,
        capture_output=True,
        text=True,
        check=False,
    )


def test_zizmor_finds_no_high_or_medium_supply_chain_risk() -> None:
    result = zizmor(GITHUB_DIR)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings to report" in result.stdout + result.stderr


def test_zizmor_fails_on_an_action_pinned_to_a_tag(tmp_path: Path) -> None:
    shutil.copytree(GITHUB_DIR, tmp_path / ".github")
    ci = tmp_path / ".github" / "workflows" / "ci.yml"
    ci.write_text(re.sub(r"actions/checkout@[0-9a-f]{40}", "actions/checkout@v6", ci.read_text()))
    result = zizmor(tmp_path / ".github")
    assert result.returncode != 0
    assert "unpinned-uses" in result.stdout
