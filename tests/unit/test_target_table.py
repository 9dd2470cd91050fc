"""The table of targets is the one place that knows a target: every name it lists is a target and composes."""

from __future__ import annotations

import importlib
from typing import get_args

import pytest

from components.render.monitoring.sources import MonitoredPlatform
from infra.settings import TARGETS, SettingsError, TargetName, load_settings
from infra.settings.problems import PROJECT


def test_every_target_name_has_one_entry_and_a_compose_function() -> None:
    assert sorted(TARGETS) == sorted(get_args(TargetName))
    for name, entry in TARGETS.items():
        assert entry.name == name
        module, function = entry.compose.split(":")
        assert callable(getattr(importlib.import_module(module), function)), entry.compose


def test_the_monitored_platforms_are_the_targets_that_run_monitoring() -> None:
    assert sorted(get_args(MonitoredPlatform)) == sorted(
        name for name, entry in TARGETS.items() if entry.runs_monitoring
    )


@pytest.mark.parametrize("target", [name for name, entry in TARGETS.items() if not entry.has_ingress_host])
def test_the_edge_is_refused_on_targets_without_a_public_ingress(target: str) -> None:
    raw = {
        f"{PROJECT}:target": target,
        f"{PROJECT}:protectStatefulData": "false",
        f"{PROJECT}:services": '{"a": {"image": "docker.io/x/y:1.0", "port": 8000}}',
        f"{PROJECT}:edge": '{"enabled": true}',
    }
    with pytest.raises(SettingsError) as caught:
        load_settings("test", raw, placeholder_secrets=True)
    assert any(problem.path == "edge.enabled" for problem in caught.value.problems)
