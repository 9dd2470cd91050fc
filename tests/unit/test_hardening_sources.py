"""The single sources of hardening and labels: Docker run flags from the typed hardening, labels in one module.

tests/components/test_workload_hardening.py checks that every workload uses them; this checks the sources
themselves, and that no component writes its own copy of a common label key.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any, cast

import pytest

from components.render import labels
from components.render.docker_container import LOG_OPTIONS, TMPFS_OPTIONS, Hardening, hardened, locked_down, run_flags
from components.render.pod_security import namespace_labels, restricted_pod_spec

ROOT = Path(__file__).resolve().parents[2]
COMPONENTS = ROOT / "components"
LABEL_SOURCES = {COMPONENTS / "render" / "labels.py", COMPONENTS / "render" / "pod_security.py"}
COMMON_KEY = re.compile(r"^(app|pod-security)\.kubernetes\.io/[\w.-]+$")
COMMON_SUITE_KEYS = {labels.STACK_KEY, labels.VOLUME_PURPOSE_KEY}


def test_locked_down_turns_into_the_docker_run_flags() -> None:
    assert run_flags(locked_down()) == ["--read-only", "--cap-drop", "ALL", "--security-opt", "no-new-privileges:true"]
    assert run_flags(locked_down(added_capabilities=["CHOWN"])) == [
        "--read-only",
        "--cap-drop",
        "ALL",
        "--cap-add",
        "CHOWN",
        "--security-opt",
        "no-new-privileges:true",
    ]


def test_every_hardening_key_has_a_flag() -> None:
    # Between them the two builders set every key of the typed hardening: a key added there needs a flag here.
    everything: Hardening = {**hardened(extra_tmpfs={"/cache": "rw,size=8m"}), **locked_down(added_capabilities=["X"])}
    assert set(everything) == set(Hardening.__annotations__)
    assert run_flags(everything) == [
        "--read-only",
        "--cap-drop",
        "ALL",
        "--cap-add",
        "X",
        "--security-opt",
        "no-new-privileges:true",
        "--tmpfs",
        f"/tmp:{TMPFS_OPTIONS}",
        "--tmpfs",
        "/cache:rw,size=8m",
        "--restart",
        "unless-stopped",
        "--log-driver",
        "json-file",
        *[item for key, value in LOG_OPTIONS.items() for item in ("--log-opt", f"{key}={value}")],
    ]


def test_a_key_or_value_without_a_flag_fails_loudly() -> None:
    with pytest.raises(ValueError, match="privileged"):
        run_flags(cast(Hardening, {"privileged": False}))
    with pytest.raises(TypeError):
        run_flags(cast(Hardening, {"security_opts": "no-new-privileges:true"}))  # a string, not a list of them


def test_every_pod_starts_without_token_or_service_links() -> None:
    pod = restricted_pod_spec(10001, [], [])
    assert pod["automount_service_account_token"] is False
    assert pod["enable_service_links"] is False
    assert restricted_pod_spec(10001, [], [], fs_group_change_policy="OnRootMismatch")["security_context"] == {
        "run_as_non_root": True,
        "run_as_user": 10001,
        "run_as_group": 10001,
        "seccomp_profile": {"type": "RuntimeDefault"},
        "fs_group": 10001,
        "fs_group_change_policy": "OnRootMismatch",
    }
    assert "fs_group" not in cast(
        dict[str, Any], restricted_pod_spec(65534, [], [], mounts_claims=False)["security_context"]
    )


def test_namespaces_warn_and_audit_at_restricted_whatever_they_enforce() -> None:
    for level in ("restricted", "privileged"):
        assert namespace_labels(level) == {
            "app.kubernetes.io/part-of": "mcp-suite",
            "pod-security.kubernetes.io/enforce": level,
            "pod-security.kubernetes.io/enforce-version": "latest",
            "pod-security.kubernetes.io/warn": "restricted",
            "pod-security.kubernetes.io/audit": "restricted",
        }


def component_modules() -> list[Path]:
    return sorted(path for path in COMPONENTS.rglob("*.py") if "__pycache__" not in path.parts)


def test_common_label_keys_are_spelled_only_in_the_labels_module() -> None:
    # Exact strings only: prose that mentions a key (a runbook, a docstring) is no label.
    copies = [
        f"{path.relative_to(ROOT)}:{node.lineno}: {node.value}"
        for path in component_modules()
        if path not in LABEL_SOURCES
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and (COMMON_KEY.match(node.value) or node.value in COMMON_SUITE_KEYS)
    ]
    assert copies == []


def test_components_never_import_infra() -> None:
    imports = [
        f"{path.relative_to(ROOT)}:{node.lineno}"
        for path in component_modules()
        for node in ast.walk(ast.parse(path.read_text()))
        if (isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "infra")
        or (isinstance(node, ast.Import) and any(alias.name.split(".")[0] == "infra" for alias in node.names))
    ]
    assert imports == []
