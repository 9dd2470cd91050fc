"""The tools each catalog server offers, as reviewed data: `catalog-tools.json`, and what a change does to it.

MCP clients trust a server's tool names and descriptions, and a new server version can change them. The manifest
records, for every stdio server command any stack deploys, the server's `tools/list`: each tool's name, its
description and a hash of its input schema. `python -m infra tool-manifest` runs each server from its image's
folder (images/servers/<server>, installed from the same lockfile the image is built from) as the bridge runs it,
asks it with the official MCP SDK, and writes or checks the file; `python -m infra diff` shows which tools a
change adds, removes or changes, with the old and new text of a changed description.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from components.render.bridge import stdio_command
from components.spec import IMAGE_SERVERS_DIR, ServiceSpec

MANIFEST_FILE = "catalog-tools.json"
COLLECTOR = Path("tests") / "conformance" / "mcp_peers" / "tool_surface.py"
SDK_PYTHON = Path(".tools") / "mcp" / "bin" / "python"
RUN_SERVER = Path("images") / "bridge" / "src" / "run-server.js"
BRIDGE_FLAG = "--stdio"
CLIPPED = 160

Manifest = dict[str, list[dict[str, str]]]
"""Server command -> its tools, sorted by name: `{name, description, inputSchemaSha256}`."""


class ToolManifestError(Exception):
    """The manifest cannot be read or collected; the message says what to do."""


@dataclass(frozen=True)
class ToolSource:
    """How to start one stdio server (keyed by its command) as the catalog declares it, to ask it for its tools."""

    server: str
    """Folder of images/servers/ the image is built from; the server runs from its installed packages."""
    env: dict[str, str]
    """The service's plain environment (secrets are not needed to list tools)."""
    mounts: tuple[str, ...]
    """Paths the command may name that are volumes in a deployment; the collector gives it empty directories."""


@dataclass(frozen=True)
class ToolChange:
    service: str
    kind: Literal["added", "removed", "changed", "unrecorded"]
    tool: str
    old_description: str | None = None
    new_description: str | None = None
    schema_changed: bool = False


def tool_sources(specs: Iterable[ServiceSpec]) -> dict[str, ToolSource]:
    """Every distinct stdio server command of these services, keyed by the command."""
    sources: dict[str, ToolSource] = {}
    for spec in specs:
        command = stdio_command(spec)
        if command is not None and spec.build is not None:
            mounts = tuple(sorted(mount.mount_path for mount in spec.volumes))
            sources[command] = ToolSource(spec.build.server, dict(spec.env), mounts)
    return dict(sorted(sources.items()))


def recorded_tool_names(specs: Iterable[ServiceSpec], manifest: Manifest) -> dict[str, list[str]]:
    """Service -> the names of the tools the manifest records for its server; services it does not record are
    left out (the edge then refuses every tool call to them)."""
    commands = {spec.name: stdio_command(spec) for spec in specs}
    return {
        name: sorted(tool["name"] for tool in manifest[command])
        for name, command in commands.items()
        if command is not None and command in manifest
    }


def stacks_tool_sources() -> dict[str, ToolSource]:
    """The stdio servers of every stack's catalog (with its overrides and disabled services)."""
    from infra.settings import load_settings
    from infra.stack_files import available_stacks, read_stack_config

    sources: dict[str, ToolSource] = {}
    for stack in available_stacks():
        config = read_stack_config(stack)
        settings = load_settings(stack, config.values, config.secret_keys, placeholder_secrets=True)
        sources.update(tool_sources(settings.services))
    return dict(sorted(sources.items()))


def deployed_commands(resources: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """Service -> the stdio server command its workload runs, read from a render (the bridge's `--stdio` value).

    The service is the resource's parent, the McpService component named after it.
    """
    commands: dict[str, str] = {}
    for entry in resources:
        command = _stdio_command(entry.get("inputs"))
        if command is not None:
            commands[str(entry.get("parent") or entry.get("name"))] = command
    return dict(sorted(commands.items()))


def tool_changes(
    base_commands: Mapping[str, str],
    head_commands: Mapping[str, str],
    base_manifest: Manifest,
    head_manifest: Manifest,
) -> list[ToolChange]:
    """What the change does to each service's tools; a head command without a manifest entry is `unrecorded`."""
    changes: list[ToolChange] = []
    for service in sorted(base_commands.keys() | head_commands.keys()):
        base_command, head_command = base_commands.get(service), head_commands.get(service)
        if head_command is not None and head_command not in head_manifest:
            changes.append(ToolChange(service=service, kind="unrecorded", tool=head_command))
            continue
        before = _by_name(base_manifest.get(base_command, []) if base_command is not None else [])
        after = _by_name(head_manifest.get(head_command, []) if head_command is not None else [])
        for name in sorted(before.keys() | after.keys()):
            old, new = before.get(name), after.get(name)
            if old is None:
                changes.append(ToolChange(service, "added", name, new_description=_text(new)))
            elif new is None:
                changes.append(ToolChange(service, "removed", name, old_description=_text(old)))
            elif old != new:
                described = old.get("description") != new.get("description")
                changes.append(
                    ToolChange(
                        service,
                        "changed",
                        name,
                        old_description=_text(old) if described else None,
                        new_description=_text(new) if described else None,
                        schema_changed=old.get("inputSchemaSha256") != new.get("inputSchemaSha256"),
                    )
                )
    return changes


def describe(change: ToolChange) -> str:
    """One line of the diff for a tool change."""
    where = f"tool {change.service}/{change.tool}"
    if change.kind == "unrecorded":
        return (
            f"! {change.service} runs {change.tool}, whose tools {MANIFEST_FILE} lacks: "
            "run `python -m infra tool-manifest`"
        )
    if change.kind == "added":
        return f"+ {where}: {_clip(json.dumps(change.new_description))}"
    if change.kind == "removed":
        return f"- {where}"
    parts = []
    if change.old_description != change.new_description:
        parts.append(f"description {json.dumps(change.old_description)} -> {json.dumps(change.new_description)}")
    if change.schema_changed:
        parts.append("input schema changed")
    return f"~ {where}: {'; '.join(parts)}"


def read_manifest(project_dir: Path) -> Manifest:
    """The committed manifest of a tree; a tree from before the manifest existed has none (empty)."""
    path = project_dir / MANIFEST_FILE
    if not path.exists():
        return {}
    try:
        manifest: Manifest = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        message = f"{path} is not valid JSON ({error}); regenerate it with `python -m infra tool-manifest`"
        raise ToolManifestError(message) from None
    return manifest


def manifest_text(manifest: Manifest) -> str:
    return json.dumps(dict(sorted(manifest.items())), indent=2, sort_keys=True) + "\n"


def collect(project_dir: Path, sources: Mapping[str, ToolSource]) -> Manifest:
    """Run each server with the official MCP SDK (.tools/mcp) and record its tools."""
    python = project_dir / SDK_PYTHON
    if not python.exists():
        raise ToolManifestError(f"{python} is missing: run scripts/tools, which installs the MCP SDK there")
    for server in sorted({source.server for source in sources.values()}):
        if not (project_dir / IMAGE_SERVERS_DIR / server / "node_modules").is_dir():
            raise ToolManifestError(
                f"{IMAGE_SERVERS_DIR}/{server} is not installed: run scripts/images-install, which runs `npm ci` "
                "in each server folder from its lockfile"
            )
    request = {
        command: {
            "argv": ["node", str(project_dir / RUN_SERVER), *command.split()],
            "serverDir": str(project_dir / IMAGE_SERVERS_DIR / source.server),
            "env": source.env,
            "mounts": list(source.mounts),
        }
        for command, source in sources.items()
    }
    with tempfile.TemporaryDirectory(prefix="tool-surface-") as scratch:
        result = subprocess.run(
            [str(python), str(project_dir / COLLECTOR), scratch],
            input=json.dumps(request),
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
    if result.returncode != 0:
        raise ToolManifestError(f"collecting the tools failed:\n{result.stderr.strip()}")
    manifest: Manifest = json.loads(result.stdout)
    return manifest


def _stdio_command(value: Any) -> str | None:
    if isinstance(value, list):
        if BRIDGE_FLAG in value:
            index = value.index(BRIDGE_FLAG)
            following: object = value[index + 1] if index + 1 < len(value) else None
            if isinstance(following, str):
                return following
        return next((found for item in value if (found := _stdio_command(item)) is not None), None)
    if isinstance(value, dict):
        return next((found for item in value.values() if (found := _stdio_command(item)) is not None), None)
    return None


def _clip(text: str) -> str:
    """A new tool's description, short: the review is of what changed, and a new tool is all new."""
    return text if len(text) <= CLIPPED else text[: CLIPPED - 3] + "..."


def _by_name(tools: Sequence[Mapping[str, str]]) -> dict[str, Mapping[str, str]]:
    return {tool["name"]: tool for tool in tools}


def _text(tool: Mapping[str, str] | None) -> str | None:
    return None if tool is None else tool.get("description", "")
