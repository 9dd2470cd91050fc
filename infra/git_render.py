"""Render stacks at a git ref and in the working tree, side by side, for `python -m infra diff`.

The base is the project as committed at the ref (`git archive`, nothing checked out in the repository) rendered by
its own `python -m infra render`, with this interpreter: each side renders with its own code and catalog, as
`pulumi preview` would run each commit's program.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml

from infra.diff import StackDiff, diff_resources, secret_config_changes
from infra.stack_files import available_stacks
from infra.tool_surface import ToolManifestError, deployed_commands, read_manifest, tool_changes

RENDER_TIMEOUT_SECONDS = 300
# Config the engine would hand the program through the environment; a render must see the stack files alone.
ENGINE_CONFIG_ENV = ("PULUMI_CONFIG", "PULUMI_CONFIG_SECRET_KEYS")


class DiffError(Exception):
    """The diff cannot be computed: a bad ref or stack, or a side that does not render. The message says why."""


@dataclass(frozen=True)
class BaseRef:
    ref: str
    commit: str

    @property
    def label(self) -> str:
        return self.ref if self.commit.startswith(self.ref) else f"{self.ref} ({self.commit[:12]})"


def diff_stacks(project_dir: Path, stacks: Sequence[str], base_ref: str) -> tuple[BaseRef, list[StackDiff]]:
    """Render each stack at `base_ref` and in the working tree at `project_dir` and compare them."""
    base = resolve_ref(project_dir, base_ref)
    with base_tree(project_dir, base) as base_dir, tempfile.TemporaryDirectory(prefix="infra-diff-") as scratch:
        for stack in stacks:
            if stack not in available_stacks(project_dir) and stack not in available_stacks(base_dir):
                known = ", ".join(available_stacks(project_dir)) or "none"
                raise DiffError(
                    f"unknown stack '{stack}': no Pulumi.{stack}.yaml in the working tree or at {base.label}; "
                    f"known stacks: {known}"
                )
        renders = {
            stack: (
                _start_render(base_dir, stack, Path(scratch) / "base" / stack),
                _start_render(project_dir, stack, Path(scratch) / "head" / stack),
            )
            for stack in stacks
        }
        try:
            diffs = [_compare(stack, *renders[stack], base, base_dir, project_dir) for stack in stacks]
        finally:
            for pair in renders.values():
                for render in pair:
                    render.stop()
    return base, diffs


def _compare(
    stack: str, base_render: _Render, head_render: _Render, base: BaseRef, base_dir: Path, project_dir: Path
) -> StackDiff:
    base_resources = base_render.result(f"at {base.label}")
    head_resources = head_render.result("in the working tree")
    secrets = secret_config_changes(_stack_file(base_dir, stack), _stack_file(project_dir, stack))
    try:
        tools = tool_changes(
            deployed_commands(base_resources),
            deployed_commands(head_resources),
            read_manifest(base_dir),
            read_manifest(project_dir),
        )
        diff = diff_resources(stack, base_resources, head_resources, secret_config=secrets)
    except ToolManifestError as error:
        raise DiffError(str(error)) from None
    except ValueError as error:
        raise DiffError(f"stack '{stack}': {error}") from None
    return replace(diff, tools=tuple(tools))


def resolve_ref(project_dir: Path, ref: str) -> BaseRef:
    inside = _git(project_dir, "rev-parse", "--is-inside-work-tree")
    if inside.returncode != 0:
        raise DiffError(f"{project_dir} is not in a git repository; the diff compares against a git ref")
    # A ref starting with "-" would be read as an option by git.
    resolved = (
        None if ref.startswith("-") else _git(project_dir, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    )
    if resolved is None or resolved.returncode != 0:
        raise DiffError(
            f"unknown git ref '{ref}': not a branch, tag or commit here; fetch it first "
            "(a shallow CI checkout needs `fetch-depth: 0` or `git fetch origin main`) and pass e.g. origin/main"
        )
    return BaseRef(ref=ref, commit=resolved.stdout.decode().strip())


@contextmanager
def base_tree(project_dir: Path, base: BaseRef) -> Iterator[Path]:
    """The project directory as committed at `base`, extracted to a temporary directory."""
    prefix = _git(project_dir, "rev-parse", "--show-prefix").stdout.decode().strip()
    archive = _git(project_dir, "archive", "--format=tar", base.commit)
    if archive.returncode != 0:
        raise DiffError(f"git archive {base.label} failed: {archive.stderr.decode().strip()}")
    with tempfile.TemporaryDirectory(prefix="infra-diff-base-") as root:
        with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
            try:
                tar.extractall(root, filter="data")
            except tarfile.FilterError as error:
                # A committed link out of the tree (say an absolute .venv link) is not extracted, so not followed.
                raise DiffError(
                    f"the tree at {base.label} cannot be extracted safely: {error}; remove that file from the "
                    "repository (a virtualenv or a link out of the project does not belong in it)"
                ) from None
        yield Path(root) / prefix


class _Render:
    def __init__(self, stack: str, out: Path, process: subprocess.Popen[str] | None) -> None:
        self.stack, self.out, self.process = stack, out, process

    def result(self, where: str) -> list[dict[str, Any]]:
        """The render's resources; a stack without a stack file on this side has none."""
        if self.process is None:
            return []
        try:
            _, stderr = self.process.communicate(timeout=RENDER_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise DiffError(f"rendering stack '{self.stack}' {where} took over {RENDER_TIMEOUT_SECONDS} s") from None
        if self.process.returncode != 0:
            raise DiffError(_render_failure(self.stack, where, stderr))
        resources: list[dict[str, Any]] = json.loads((self.out / "resources.json").read_text())
        return resources

    def stop(self) -> None:
        """End a render still running because the other side failed first."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.communicate()


def _start_render(project_dir: Path, stack: str, out: Path) -> _Render:
    if not (project_dir / f"Pulumi.{stack}.yaml").exists():
        return _Render(stack, out, None)
    env = {key: value for key, value in os.environ.items() if key not in ENGINE_CONFIG_ENV}
    process = subprocess.Popen(
        [sys.executable, "-m", "infra", "render", "--stack", stack, "--out", str(out)],
        cwd=project_dir,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    return _Render(stack, out, process)


def _render_failure(stack: str, where: str, stderr: str) -> str:
    detail = stderr.strip() or "(no output)"
    if "invalid choice: 'render'" in stderr or "No module named infra" in stderr:
        detail = "this commit has no `python -m infra render` command, so it cannot be rendered; pick a newer base"
    return f"stack '{stack}' does not render {where}:\n{detail}"


def _stack_file(project_dir: Path, stack: str) -> dict[str, Any]:
    path = project_dir / f"Pulumi.{stack}.yaml"
    if not path.exists():
        return {}
    document = yaml.safe_load(path.read_text())
    return document if isinstance(document, dict) else {}


def _git(project_dir: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["git", *args], cwd=project_dir, capture_output=True, timeout=120, check=False)
