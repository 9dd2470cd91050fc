"""The tool manifest as reviewed data: every deployed server recorded, and changes described tool by tool."""

from __future__ import annotations

from infra.stack_files import PROJECT_DIR
from infra.tool_surface import (
    ToolChange,
    deployed_commands,
    describe,
    read_manifest,
    stacks_tool_sources,
    tool_changes,
)
from tests.helpers.stacks import STACKS, rendered


def tool(name: str, description: str = "d", schema: str = "s") -> dict[str, str]:
    return {"name": name, "description": description, "inputSchemaSha256": schema}


def test_every_stdio_server_any_stack_deploys_has_its_tools_recorded() -> None:
    recorded = read_manifest(PROJECT_DIR)
    missing = sorted(set(stacks_tool_sources()) - set(recorded))
    assert not missing, f"run `python -m infra tool-manifest` for: {missing}"
    assert not set(recorded) - set(stacks_tool_sources()), "catalog-tools.json records servers no stack deploys"


def test_a_render_names_each_services_server_command() -> None:
    for stack in STACKS:
        commands = deployed_commands([entry.as_json() for entry in rendered(stack).registrations])
        assert set(commands) == {"everything", "filesystem", "memory", "sequential-thinking"}, stack
        assert set(commands.values()) <= set(read_manifest(PROJECT_DIR)), stack


def test_changes_are_per_tool_with_the_old_and_new_description() -> None:
    base = {"old": [tool("keep"), tool("reworded", "before"), tool("reshaped"), tool("gone")]}
    head = {"new": [tool("keep"), tool("reworded", "after"), tool("reshaped", schema="t"), tool("born", "hello")]}
    changes = tool_changes({"svc": "old"}, {"svc": "new"}, base, head)
    assert changes == [
        ToolChange("svc", "added", "born", new_description="hello"),
        ToolChange("svc", "removed", "gone", old_description="d"),
        ToolChange("svc", "changed", "reshaped", schema_changed=True),
        ToolChange("svc", "changed", "reworded", old_description="before", new_description="after"),
    ]
    assert [describe(change) for change in changes] == [
        '+ tool svc/born: "hello"',
        "- tool svc/gone",
        "~ tool svc/reshaped: input schema changed",
        '~ tool svc/reworded: description "before" -> "after"',
    ]


def test_a_server_with_no_recorded_tools_is_named_not_guessed() -> None:
    (change,) = tool_changes({}, {"svc": "npx -y new"}, {}, {})
    assert change.kind == "unrecorded"
    assert describe(change).startswith("! svc runs npx -y new, whose tools catalog-tools.json lacks")
