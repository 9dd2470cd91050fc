"""Every component class keeps its attribute annotations out of the class body (see components/__init__.py)."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pulumi
import pytest

import components


def component_classes() -> list[type[pulumi.ComponentResource]]:
    found = []
    for module_info in pkgutil.walk_packages(components.__path__, "components."):
        if ".render" in module_info.name:
            continue  # pure renderers: no resources
        module = importlib.import_module(module_info.name)
        for _, value in inspect.getmembers(module, inspect.isclass):
            if issubclass(value, pulumi.ComponentResource) and value.__module__ == module.__name__:
                found.append(value)
    return found


def test_components_are_found() -> None:
    names = {cls.__qualname__ for cls in component_classes()}
    assert {"McpService", "MonitoringStack", "EdgeWorker", "NetworkPolicies"} <= names


@pytest.mark.parametrize("cls", component_classes(), ids=lambda cls: f"{cls.__module__}.{cls.__qualname__}")
def test_no_class_level_annotations(cls: type[pulumi.ComponentResource]) -> None:
    assert inspect.get_annotations(cls) == {}, (
        f"{cls.__qualname__} annotates attributes in its class body; annotate them where __init__ assigns them"
    )
