"""Pulumi.yaml declares exactly the keys the program reads, each typed, described and defaulted."""

from __future__ import annotations

from pathlib import Path

import yaml

from infra.settings import CONFIG_KEYS, load_settings
from infra.stack_files import PROJECT_DIR, available_stacks, read_stack_config


def project() -> dict[str, object]:
    document = yaml.safe_load((PROJECT_DIR / "Pulumi.yaml").read_text())
    assert isinstance(document, dict)
    return document


def test_project_is_a_python_program_with_a_managed_virtualenv() -> None:
    document = project()
    assert document["name"] == "mcp-suite"
    assert document["runtime"] == {"name": "python", "options": {"toolchain": "pip", "virtualenv": ".venv"}}


def test_every_config_key_is_declared_with_type_description_and_default() -> None:
    config = project()["config"]
    assert isinstance(config, dict)
    assert {key.name: key.kind for key in CONFIG_KEYS} == {name: decl["type"] for name, decl in config.items()}
    for name, declaration in config.items():
        assert declaration.get("description"), name
        assert "default" in declaration, name


def test_the_stacks_exist_and_load() -> None:
    # koyeb is optional (docs/koyeb.md), e2e is dev for the real-engine tests (docs/real-engine.md); the other
    # three are the suite's own environments.
    assert available_stacks() == ["dev", "e2e", "koyeb", "prod", "staging"]
    targets = {}
    for stack in available_stacks():
        config = read_stack_config(stack)
        settings = load_settings(stack, config.values, config.secret_keys, placeholder_secrets=True)
        targets[stack] = (settings.target, settings.protect_stateful_data)
    assert targets == {
        "dev": ("docker", False),
        "e2e": ("docker", False),
        "koyeb": ("koyeb", False),
        "staging": ("kubernetes", False),
        "prod": ("kubernetes", True),
    }


def test_stack_files_hold_no_plaintext_secrets_and_no_passphrase() -> None:
    def plain_leaves(value: object) -> list[object]:
        if isinstance(value, dict):
            if set(value) == {"secure"}:
                return []
            return [leaf for item in value.values() for leaf in plain_leaves(item)]
        if isinstance(value, list):
            return [leaf for item in value for leaf in plain_leaves(item)]
        return [value]

    for path in Path(PROJECT_DIR).glob("Pulumi.*.yaml"):
        text = path.read_text()
        assert "passphrase" not in text.lower(), path.name
        config = (yaml.safe_load(text) or {}).get("config") or {}
        for key in (
            "mcp-suite:serviceSecrets",
            "mcp-suite:edgeSecrets",
            "mcp-suite:backupSecrets",
            "mcp-suite:monitoringSecrets",
        ):
            assert plain_leaves(config.get(key, {})) == [], f"{path.name}: {key} holds plain text"


def test_state_and_passphrase_files_are_ignored() -> None:
    ignored = (PROJECT_DIR / ".gitignore").read_text().splitlines()
    assert "/.pulumi-state/" in ignored
    assert ".venv/" in ignored
