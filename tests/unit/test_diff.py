"""The plan diff's pure part: matching resources, field paths, secrets kept hidden, Markdown a PR can hold."""

from __future__ import annotations

from typing import Any

import pytest

from infra.diff import (
    MISSING,
    FieldChange,
    diff_resources,
    field_changes,
    format_markdown,
    format_text,
    secret_config_changes,
)


def resource(type_: str, name: str, inputs: dict[str, Any], **options: Any) -> dict[str, Any]:
    return {"type": type_, "name": name, "parent": None, "inputs": inputs, "options": {"protect": False, **options}}


DEPLOYMENT = "kubernetes:apps/v1:Deployment"
CLAIM = "kubernetes:core/v1:PersistentVolumeClaim"


def test_nested_changes_are_reported_per_leaf_with_dotted_paths_and_list_indices() -> None:
    old = {"spec": {"replicas": 2, "containers": [{"image": "a:1", "args": ["x"]}]}, "labels": {"app.k8s.io/v": "1"}}
    new = {"spec": {"replicas": 3, "containers": [{"image": "a:1", "args": ["x", "y"]}]}, "labels": {}}

    assert field_changes(old, new, "inputs") == [
        FieldChange('inputs.labels["app.k8s.io/v"]', "1", MISSING),
        FieldChange("inputs.spec.containers[0].args[1]", MISSING, "y"),
        FieldChange("inputs.spec.replicas", 2, 3),
    ]


def test_equal_values_have_no_changes() -> None:
    value = {"a": [1, {"b": None}], "c": "d"}
    assert field_changes(value, {"c": "d", "a": [1, {"b": None}]}, "inputs") == []


def test_resources_are_matched_by_type_and_name() -> None:
    base = [resource(DEPLOYMENT, "web", {"replicas": 1}), resource(CLAIM, "data", {"size": "5Gi"})]
    head = [resource(DEPLOYMENT, "web", {"replicas": 1}), resource(CLAIM, "data", {"size": "5Gi"}, protect=True)]
    head.append(resource(DEPLOYMENT, "api", {"replicas": 1}))
    base.append(resource(CLAIM, "logs", {"size": "1Gi"}))

    diff = diff_resources("prod", base, head)

    assert diff.added == ((DEPLOYMENT, "api"),)
    assert diff.removed == ((CLAIM, "logs"),)
    assert [(c.type, c.name, c.fields) for c in diff.changed] == [
        (CLAIM, "data", (FieldChange("options.protect", False, True),))
    ]
    assert format_text([diff], "main") == (
        "Stack 'prod' (main -> working tree): 1 to add, 1 to remove, 1 to change\n"
        f"  + {DEPLOYMENT} api\n"
        f"  - {CLAIM} logs\n"
        f"  ~ {CLAIM} data\n"
        "      options.protect: false -> true\n"
    )


def test_identical_renders_have_no_changes() -> None:
    entries = [resource(DEPLOYMENT, "web", {"replicas": 1})]
    diff = diff_resources("staging", entries, [dict(entry) for entry in entries])
    assert not diff.has_changes
    assert format_text([diff], "main") == "Stack 'staging' (main -> working tree): no changes\n"


def test_a_field_that_becomes_or_stops_being_secret_shows_as_changed_without_values() -> None:
    base = [resource(DEPLOYMENT, "web", {"env": {"TOKEN": "plain-token-value"}})]
    head = [resource(DEPLOYMENT, "web", {"env": {"TOKEN": "[secret]"}})]

    text = format_text([diff_resources("staging", base, head)], "main")

    assert "inputs.env.TOKEN: changed (secret, value hidden)" in text
    assert "plain-token-value" not in text


def test_rotated_encrypted_config_is_a_change_named_by_key_only() -> None:
    base = {"config": {"mcp-suite:serviceSecrets": {"memory": {"TOKEN": {"secure": "v1:AAAA"}}}, "plain": 1}}
    rotated = {"config": {"mcp-suite:serviceSecrets": {"memory": {"TOKEN": {"secure": "v1:BBBB"}}}, "plain": 1}}
    added = {"config": {**rotated["config"], "mcp-suite:apiKey": {"secure": "v1:CCCC"}}}

    assert secret_config_changes(base, base) == []
    assert secret_config_changes(base, rotated) == ["mcp-suite:serviceSecrets.memory.TOKEN"]
    assert secret_config_changes(base, added) == ["mcp-suite:apiKey", "mcp-suite:serviceSecrets.memory.TOKEN"]
    assert secret_config_changes(added, {}) == ["mcp-suite:apiKey", "mcp-suite:serviceSecrets.memory.TOKEN"]

    diff = diff_resources("prod", [], [], secret_config=secret_config_changes(base, rotated))
    text = format_text([diff], "main")
    assert diff.has_changes
    assert "~ secret config mcp-suite:serviceSecrets.memory.TOKEN: changed (value hidden)" in text
    assert "BBBB" not in text and "AAAA" not in text


def test_two_resources_with_one_key_are_an_error() -> None:
    entries = [resource(DEPLOYMENT, "web", {}), resource(DEPLOYMENT, "web", {})]
    with pytest.raises(ValueError, match=r"the base render has two resources of type \S+:Deployment named 'web'"):
        diff_resources("staging", entries, [])


def test_markdown_keeps_values_inside_a_fence_longer_than_any_backticks_they_hold() -> None:
    base = [resource(DEPLOYMENT, "web", {"command": "echo ```"})]
    head = [resource(DEPLOYMENT, "web", {"command": "echo ````"})]

    markdown = format_markdown([diff_resources("staging", base, head)], "origin/main")

    assert "### Stack `staging`: 0 to add, 0 to remove, 1 to change" in markdown
    assert "`````diff\n~ kubernetes:apps/v1:Deployment web\n" in markdown
    assert markdown.rstrip().endswith("`````")


def test_markdown_of_a_huge_diff_fits_in_a_github_comment() -> None:
    head = [resource(DEPLOYMENT, f"web-{index:05d}", {"replicas": 1}) for index in range(20_000)]

    markdown = format_markdown([diff_resources("staging", [], head), diff_resources("prod", [], head)], "main")

    assert len(markdown) < 65_536
    assert markdown.count("more lines: run `python -m infra diff` for all") == 2
    assert "### Stack `prod`: 20000 to add, 0 to remove, 0 to change" in markdown
