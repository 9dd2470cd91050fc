"""Read a stack's config the way the Pulumi CLI hands it to the program, from Pulumi.yaml and Pulumi.<stack>.yaml.

Project defaults apply to keys the stack does not set. Values the CLI would decrypt (`secure:`) cannot be read
without it: they become marked placeholders and their keys are reported as secret.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from infra.settings import PROJECT

SECURE_PLACEHOLDER = "<placeholder: encrypted value, needs the Pulumi CLI to decrypt>"
PROJECT_DIR = Path(__file__).resolve().parent.parent


class StackFileError(Exception):
    """A stack or project file is missing or malformed."""


@dataclass(frozen=True)
class StackConfig:
    stack: str
    values: dict[str, str]
    """Fully qualified key -> value as the engine passes it (strings; other types JSON-encoded)."""
    secret_keys: frozenset[str]


def available_stacks(project_dir: Path | None = None) -> list[str]:
    project_dir = project_dir or PROJECT_DIR
    return sorted(path.name[len("Pulumi.") : -len(".yaml")] for path in project_dir.glob("Pulumi.*.yaml"))


def read_stack_config(stack: str, project_dir: Path | None = None) -> StackConfig:
    project_dir = project_dir or PROJECT_DIR
    project = _load_yaml(project_dir / "Pulumi.yaml")
    stack_path = project_dir / f"Pulumi.{stack}.yaml"
    if not stack_path.exists():
        known = ", ".join(available_stacks(project_dir)) or "none"
        raise StackFileError(f"no stack file {stack_path.name} for stack '{stack}'; known stacks: {known}")
    stack_file = _load_yaml(stack_path)
    merged = _defaults(project)
    for key, value in (stack_file.get("config") or {}).items():
        merged[_qualify(key)] = value
    values: dict[str, str] = {}
    secret_keys: set[str] = set()
    for key, value in merged.items():
        plain, had_secret = _strip_secure(value)
        if had_secret:
            secret_keys.add(key)
        values[key] = plain if isinstance(plain, str) else json.dumps(plain)
    return StackConfig(stack=stack, values=values, secret_keys=frozenset(secret_keys))


def project_defaults(project_dir: Path | None = None) -> dict[str, Any]:
    """Pulumi.yaml's config defaults by fully qualified key: the engine applies them to keys a stack leaves unset."""
    return _defaults(_load_yaml((project_dir or PROJECT_DIR) / "Pulumi.yaml"))


def _defaults(project: dict[str, Any]) -> dict[str, Any]:
    return {
        _qualify(key): declaration["default"]
        for key, declaration in (project.get("config") or {}).items()
        if isinstance(declaration, dict) and "default" in declaration
    }


def _qualify(key: str) -> str:
    return key if ":" in key else f"{PROJECT}:{key}"


def _strip_secure(value: Any) -> tuple[Any, bool]:
    if isinstance(value, dict):
        if set(value) == {"secure"}:
            return SECURE_PLACEHOLDER, True
        found = False
        result = {}
        for key, item in value.items():
            result[key], secret = _strip_secure(item)
            found = found or secret
        return result, found
    if isinstance(value, list):
        items = [_strip_secure(item) for item in value]
        return [item for item, _ in items], any(secret for _, secret in items)
    return value, False


def _load_yaml(path: Path) -> dict[str, Any]:
    try:
        document = yaml.safe_load(path.read_text())
    except FileNotFoundError:
        raise StackFileError(f"{path} not found") from None
    except yaml.YAMLError as error:
        raise StackFileError(f"{path.name} is not valid YAML: {error}") from None
    if document is None:
        return {}
    if not isinstance(document, dict):
        raise StackFileError(f"{path.name} must be a mapping at the top level")
    return document
