"""What a change would do to a stack, from two credential-free renders: resources added, removed and changed.

Pure functions over the `resources.json` of two renders (see infra/render.py) and the two stack files; no git, no
Pulumi. Resources are matched by (type, name), as the engine matches them by URN. A changed resource lists each
changed field by path (`inputs.spec.replicas`, `inputs.spec.template.spec.containers[0].image`) with old and new
values. Secret values never appear: renders hold them redacted, and a field on either side that is a secret is shown
as changed without values. Encrypted stack config (`secure:` values) is compared by ciphertext, so a rotated secret
shows up as a changed key, never as a value.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from infra.mock_runtime import REDACTED
from infra.stack_files import SECURE_PLACEHOLDER
from infra.tool_surface import ToolChange, describe

COMPARED_FIELDS = ("parent", "inputs", "options")
SECRET_MARKERS = (REDACTED, SECURE_PLACEHOLDER)
VALUE_WIDTH = 160
PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
# GitHub rejects comment bodies over 65,536 characters; leave room for headers and notes.
MARKDOWN_LIMIT = 60_000


class _Missing:
    """A field present on one side only."""

    def __repr__(self) -> str:
        return "(absent)"


MISSING = _Missing()


@dataclass(frozen=True)
class FieldChange:
    path: str
    """Dotted path from the resource entry, list items as `[i]`, odd keys as `["app.kubernetes.io/name"]`."""
    old: Any
    """Value at the base, or MISSING."""
    new: Any
    """Value in the working tree, or MISSING."""

    @property
    def secret(self) -> bool:
        return _holds_secret(self.old) or _holds_secret(self.new)


@dataclass(frozen=True)
class ResourceChange:
    type: str
    name: str
    fields: tuple[FieldChange, ...]


@dataclass(frozen=True)
class StackDiff:
    stack: str
    added: tuple[tuple[str, str], ...]
    """(type, name) of resources only the working tree registers."""
    removed: tuple[tuple[str, str], ...]
    """(type, name) of resources only the base registers."""
    changed: tuple[ResourceChange, ...]
    secret_config: tuple[str, ...] = ()
    """Encrypted stack config keys added, removed or re-encrypted (a new value), values never shown."""
    tools: tuple[ToolChange, ...] = ()
    """Tools the stack's servers gain, lose or change (catalog-tools.json at both sides)."""

    @property
    def has_changes(self) -> bool:
        return bool(self.added or self.removed or self.changed or self.secret_config or self.tools)


def diff_resources(
    stack: str,
    base: Sequence[Mapping[str, Any]],
    head: Sequence[Mapping[str, Any]],
    *,
    secret_config: Iterable[str] = (),
) -> StackDiff:
    """Compare two renders' resources.json entries; the result is sorted by (type, name)."""
    base_by_key, head_by_key = _by_key(base, "base"), _by_key(head, "working tree")
    changed = []
    for key in sorted(base_by_key.keys() & head_by_key.keys()):
        fields = [
            change
            for name in COMPARED_FIELDS
            for change in field_changes(base_by_key[key].get(name, MISSING), head_by_key[key].get(name, MISSING), name)
        ]
        if fields:
            changed.append(ResourceChange(type=key[0], name=key[1], fields=tuple(fields)))
    return StackDiff(
        stack=stack,
        added=tuple(sorted(head_by_key.keys() - base_by_key.keys())),
        removed=tuple(sorted(base_by_key.keys() - head_by_key.keys())),
        changed=tuple(changed),
        secret_config=tuple(sorted(secret_config)),
    )


def field_changes(old: Any, new: Any, path: str) -> list[FieldChange]:
    """Leaf-level differences between two JSON values; mappings by key, lists by index."""
    if old == new:
        return []
    if isinstance(old, dict) and isinstance(new, dict):
        return [
            change
            for key in sorted(old.keys() | new.keys())
            for change in field_changes(old.get(key, MISSING), new.get(key, MISSING), _key_path(path, key))
        ]
    if isinstance(old, list) and isinstance(new, list):
        return [
            change
            for index in range(max(len(old), len(new)))
            for change in field_changes(
                old[index] if index < len(old) else MISSING,
                new[index] if index < len(new) else MISSING,
                f"{path}[{index}]",
            )
        ]
    return [FieldChange(path=path, old=old, new=new)]


def secret_config_changes(base_stack_file: Mapping[str, Any], head_stack_file: Mapping[str, Any]) -> list[str]:
    """Config keys whose encrypted (`secure:`) value was added, removed or changed between two parsed stack files."""
    base, head = _secure_values(base_stack_file.get("config")), _secure_values(head_stack_file.get("config"))
    return sorted(key for key in base.keys() | head.keys() if base.get(key) != head.get(key))


def format_text(diffs: Sequence[StackDiff], base_label: str) -> str:
    lines = []
    for diff in diffs:
        lines.append(f"Stack '{diff.stack}' ({base_label} -> working tree): {_counts(diff)}")
        lines += [f"  {line}" for line in _change_lines(diff)]
    return "\n".join(lines) + "\n"


def format_markdown(diffs: Sequence[StackDiff], base_label: str) -> str:
    """A pull-request comment: one section per stack, the changes in a `diff` block (+ added, - removed, ~ changed)."""
    parts = [
        "## Infrastructure diff (credential-free render)",
        "",
        f"Rendered with `python -m infra diff` at `{base_label}` and at this pull request under Pulumi's mocks: "
        "what the program would register, without provider state. Secret values are never shown.",
    ]
    budget = MARKDOWN_LIMIT // max(len(diffs), 1) - 500
    for diff in diffs:
        parts += ["", f"### Stack `{diff.stack}`: {_counts(diff)}"]
        lines = _fit(_change_lines(diff), budget)
        if lines:
            body = "\n".join(lines)
            fence = "`" * max(3, _longest_backtick_run(body) + 1)
            parts += ["", f"{fence}diff", body, fence]
    return "\n".join(parts) + "\n"


def _fit(lines: list[str], budget: int) -> list[str]:
    """The first lines that fit in `budget` characters, and a note of how many were left out."""
    used = 0
    for index, line in enumerate(lines):
        used += len(line) + 1
        if used > budget:
            return [*lines[:index], f"... {len(lines) - index} more lines: run `python -m infra diff` for all"]
    return lines


def _change_lines(diff: StackDiff) -> list[str]:
    lines = [f"+ {type_} {name}" for type_, name in diff.added]
    lines += [f"- {type_} {name}" for type_, name in diff.removed]
    for resource in diff.changed:
        lines.append(f"~ {resource.type} {resource.name}")
        lines += [f"    {_describe(change)}" for change in resource.fields]
    lines += [f"~ secret config {key}: changed (value hidden)" for key in diff.secret_config]
    lines += [describe(change) for change in diff.tools]
    return lines


def _counts(diff: StackDiff) -> str:
    if not diff.has_changes:
        return "no changes"
    counts = f"{len(diff.added)} to add, {len(diff.removed)} to remove, {len(diff.changed)} to change"
    if diff.secret_config:
        counts += f", {len(diff.secret_config)} secret config value(s) changed"
    if diff.tools:
        counts += f", {len(diff.tools)} tool change(s)"
    return counts


def _describe(change: FieldChange) -> str:
    if change.secret:
        return f"{change.path}: changed (secret, value hidden)"
    return f"{change.path}: {_show(change.old)} -> {_show(change.new)}"


def _show(value: Any) -> str:
    if value is MISSING:
        return repr(MISSING)
    text = json.dumps(value, sort_keys=True)
    return text if len(text) <= VALUE_WIDTH else text[: VALUE_WIDTH - 3] + "..."


def _holds_secret(value: Any) -> bool:
    if isinstance(value, str):
        return value in SECRET_MARKERS
    if isinstance(value, dict):
        return any(_holds_secret(item) for item in value.values())
    if isinstance(value, list):
        return any(_holds_secret(item) for item in value)
    return False


def _key_path(path: str, key: str) -> str:
    return f"{path}.{key}" if PLAIN_KEY.match(key) else f"{path}[{json.dumps(key)}]"


def _by_key(entries: Sequence[Mapping[str, Any]], side: str) -> dict[tuple[str, str], Mapping[str, Any]]:
    by_key: dict[tuple[str, str], Mapping[str, Any]] = {}
    for entry in entries:
        key = (str(entry["type"]), str(entry["name"]))
        if key in by_key:
            raise ValueError(f"the {side} render has two resources of type {key[0]} named {key[1]!r}")
        by_key[key] = entry
    return by_key


def _secure_values(config: Any, path: str = "") -> dict[str, str]:
    if isinstance(config, dict):
        if set(config) == {"secure"}:
            return {path: str(config["secure"])}
        found: dict[str, str] = {}
        for key, item in config.items():
            found.update(_secure_values(item, f"{path}.{key}" if path else str(key)))
        return found
    if isinstance(config, list):
        found = {}
        for index, item in enumerate(config):
            found.update(_secure_values(item, f"{path}[{index}]"))
        return found
    return {}


def _longest_backtick_run(text: str) -> int:
    return max((len(run) for run in re.findall(r"`+", text)), default=0)
