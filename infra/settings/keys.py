"""The project's config keys: their declared kinds, decoding the engine's raw strings, and reading secret keys."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from components.spec import SpecModel
from infra.settings.problems import PROJECT, Problem, plain_text_secrets, show


class ConfigKey(SpecModel):
    """Declaration of one project config key; Pulumi.yaml holds the same list (a test keeps them equal)."""

    name: str
    kind: Literal["string", "integer", "boolean", "array", "object"]


CONFIG_KEYS: tuple[ConfigKey, ...] = (
    ConfigKey(name="target", kind="string"),
    ConfigKey(name="protectStatefulData", kind="boolean"),
    ConfigKey(name="requireImageDigests", kind="boolean"),
    ConfigKey(name="services", kind="object"),
    ConfigKey(name="catalogFile", kind="string"),
    ConfigKey(name="serviceOverrides", kind="object"),
    ConfigKey(name="disabledServices", kind="array"),
    ConfigKey(name="serviceSecrets", kind="object"),
    ConfigKey(name="images", kind="object"),
    ConfigKey(name="docker", kind="object"),
    ConfigKey(name="kubernetes", kind="object"),
    ConfigKey(name="storage", kind="object"),
    ConfigKey(name="backup", kind="object"),
    ConfigKey(name="backupSecrets", kind="object"),
    ConfigKey(name="koyeb", kind="object"),
    ConfigKey(name="network", kind="object"),
    ConfigKey(name="monitoring", kind="object"),
    ConfigKey(name="monitoringSecrets", kind="object"),
    ConfigKey(name="edge", kind="object"),
    ConfigKey(name="edgeSecrets", kind="object"),
)
REQUIRED_KEYS = ("target", "protectStatefulData", "services")
"""Keys Pulumi.yaml gives a default: missing ones mean the project file itself is incomplete."""


@dataclass(frozen=True)
class ConfigValues:
    """The stack's decoded config (`{"key": value}`, project namespace only) and which keys are secret."""

    values: dict[str, Any]
    secret_keys: frozenset[str]

    def section(self, key: str) -> Any:
        """An object key's value, `{}` when unset (its type was checked when decoding)."""
        return self.values.get(key, {})

    def secrets(self, key: str, leaf: str) -> tuple[dict[str, Any], list[Problem]]:
        """A secret key's values, and a problem if they were set without `--secret`."""
        given: dict[str, Any] = dict(self.section(key))
        is_secret = f"{PROJECT}:{key}" in self.secret_keys
        return given, [plain_text_secrets(key, leaf)] if given and not is_secret else []


def decode_keys(raw: Mapping[str, str], secret_keys: frozenset[str]) -> tuple[ConfigValues, list[Problem]]:
    """Decode each `mcp-suite:*` string into its declared kind; unknown, ill-typed and missing keys are problems."""
    declared = {key.name: key for key in CONFIG_KEYS}
    values: dict[str, Any] = {}
    problems: list[Problem] = []
    for full_key, text in raw.items():
        namespace, _, key = full_key.partition(":")
        if namespace != PROJECT:
            continue
        declaration = declared.get(key)
        if declaration is None:
            problems.append(Problem(path=key, message=f"unknown key; allowed keys: {', '.join(sorted(declared))}"))
            continue
        if declaration.kind == "string":
            values[key] = text
            continue
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            problems.append(Problem(path=key, message=f"expected {declaration.kind}, got {text!r}"))
            continue
        expected = {"integer": int, "boolean": bool, "array": list, "object": dict}[declaration.kind]
        if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            problems.append(Problem(path=key, message=f"expected {declaration.kind}, got {show(value)}"))
            continue
        values[key] = value
    for key in REQUIRED_KEYS:
        if key not in values and not any(problem.path == key for problem in problems):
            problems.append(
                Problem(path=key, message="missing; it has a default in Pulumi.yaml, so the project file is incomplete")
            )
    return ConfigValues(values=values, secret_keys=secret_keys), problems
