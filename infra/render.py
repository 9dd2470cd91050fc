"""Credential-free render of a stack: the real program under Pulumi's mocks, written out as files.

Writes `resources.json` (every registration with inputs and options) and one plain manifest per Kubernetes
object under `kubernetes/`. Secrets are redacted everywhere.
"""

from __future__ import annotations

import json
import re
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

from infra.mock_runtime import REDACTED, Evaluation, Registration, evaluate
from infra.program import run
from infra.stack_files import read_stack_config

# Kubernetes object types are `kubernetes:<group>/<version>:<Kind>`; Helm releases and providers are not objects.
KUBERNETES_OBJECT = re.compile(r"^kubernetes:(?!helm\.sh/)[^:]+/[^:]+:[A-Za-z]+$")
SECRET_DATA_FIELDS = ("data", "stringData")


def render_stack(stack: str, *, preview: bool = True) -> Evaluation:
    config = read_stack_config(stack)
    return evaluate(stack, config.values, config.secret_keys, lambda: run(placeholder_secrets=True), preview=preview)


def kubernetes_manifests(evaluation: Evaluation) -> list[dict[str, Any]]:
    """Every Kubernetes object as a plain manifest, Secret data redacted."""
    manifests = []
    for entry in evaluation.registrations:
        if not KUBERNETES_OBJECT.match(entry.type):
            continue
        manifest = dict(entry.inputs)
        if manifest.get("kind") == "Secret":
            for key in SECRET_DATA_FIELDS:
                if isinstance(manifest.get(key), dict):
                    manifest[key] = {name: REDACTED for name in manifest[key]}
                elif key in manifest:
                    # The engine marks the whole map secret when any value is: even its keys are hidden.
                    manifest[key] = {"redacted-keys": REDACTED}
        manifests.append(manifest)
    return manifests


def manifest_file_name(manifest: dict[str, Any]) -> str:
    metadata = manifest.get("metadata", {})
    scope = metadata.get("namespace", "cluster")
    return f"{scope}_{manifest['kind']}_{metadata.get('name', 'unnamed')}.yaml".lower()


def write_render(evaluation: Evaluation, out: Path) -> dict[str, int]:
    """Write the render to `out` (replacing a previous render there) and return resource counts by type."""
    if out.exists():
        shutil.rmtree(out)
    manifest_dir = out / "kubernetes"
    manifest_dir.mkdir(parents=True)
    (out / "resources.json").write_text(
        json.dumps([entry.as_json() for entry in evaluation.registrations], indent=2, sort_keys=True) + "\n"
    )
    for manifest in kubernetes_manifests(evaluation):
        path = manifest_dir / manifest_file_name(manifest)
        if path.exists():
            raise ValueError(f"two Kubernetes objects render to {path.name}")
        path.write_text(yaml.safe_dump(manifest, sort_keys=True))
    _write_container_files(evaluation, out / "files")
    _write_helm_values(evaluation, out / "helm")
    return dict(sorted(Counter(entry.type for entry in evaluation.registrations).items()))


def _write_container_files(evaluation: Evaluation, out: Path) -> None:
    """Files uploaded into Docker containers (generated configs), under `files/<container>/<path>`, for review."""
    for entry in evaluation.of_type("docker:index/container:Container"):
        uploads = entry.inputs.get("uploads")
        if not isinstance(uploads, list):
            continue  # redacted: holds a secret
        for upload in uploads:
            content = upload.get("content")
            if not isinstance(content, str) or content == REDACTED:
                continue
            path = out / entry.inputs["name"] / upload["file"].lstrip("/")
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content)


def _write_helm_values(evaluation: Evaluation, out: Path) -> None:
    """The values of each Helm release, as `helm/<release>.values.yaml`."""
    for entry in evaluation.of_type("kubernetes:helm.sh/v3:Release"):
        out.mkdir(parents=True, exist_ok=True)
        document = {key: entry.inputs.get(key) for key in ("chart", "version", "namespace", "repositoryOpts")}
        document["values"] = entry.inputs.get("values")
        (out / f"{entry.inputs['name']}.values.yaml").write_text(yaml.safe_dump(document, sort_keys=True))


def summary(stack: str, counts: dict[str, int], out: Path) -> str:
    lines = [f"Rendered stack '{stack}' to {out}: {sum(counts.values())} resources"]
    width = max((len(kind) for kind in counts), default=0)
    lines += [f"  {kind.ljust(width)}  {count}" for kind, count in counts.items()]
    return "\n".join(lines)


def registrations_by_key(evaluation: Evaluation) -> dict[tuple[str, str], Registration]:
    return {(entry.type, entry.name): entry for entry in evaluation.registrations}
