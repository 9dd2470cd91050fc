"""The floor a benchmark compares the program with: the program's custom resources, with the same inputs and
resource options, registered straight through the provider SDK classes (or bare `pulumi.CustomResource`), with no
components, settings or renderers.

The records are what the program registered under Pulumi's mocks (infra/mock_runtime.py); the mock benchmark
(bench/measure.py) and the real-engine one (bench/engine_floor.py) register them alike. Provider SDKs are imported
only for the types the records hold, so the floor pays for no import it does not need.
"""

from __future__ import annotations

import importlib
import re
from typing import TYPE_CHECKING, Any

import pulumi
from pulumi.runtime.rpc import _special_secret_sig as SECRET_MARK
from pulumi.runtime.rpc import _special_sig_key as SIGNATURE_KEY

if TYPE_CHECKING:
    from infra.mock_runtime import Evaluation

Record = tuple[str, str, dict[str, Any], dict[str, Any], str | None]
"""A custom resource as the engine received it: type token, name, wire inputs, resource options, parent's name."""
Component = tuple[str, str, str | None]
"""A component as the program registered it: type token, name, parent's name."""

OPTIONS_KEPT = ("protect", "retainOnDelete", "deleteBeforeReplace", "additionalSecretOutputs", "ignoreChanges")
"""Options the floor sets as the program did; parents, aliases and dependencies name components it does not have."""


def custom_records(evaluation: Evaluation) -> list[Record]:
    """The custom resources an evaluation registered, providers first (the others reference them)."""
    customs = [entry for entry in evaluation.registrations if entry.custom]
    customs.sort(key=lambda entry: not entry.type.startswith("pulumi:providers:"))
    return [
        (
            entry.type,
            entry.name,
            entry.wire_inputs,
            {key: entry.options[key] for key in OPTIONS_KEPT if entry.options.get(key) is not None},
            entry.parent,
        )
        for entry in customs
    ]


def component_records(evaluation: Evaluation) -> list[Component]:
    """The components an evaluation registered, in order (a parent before its children)."""
    return [(entry.type, entry.name, entry.parent) for entry in evaluation.registrations if not entry.custom]


def resource_class(type_token: str) -> Any:
    """The provider SDK class a type token belongs to, e.g. kubernetes:apps/v1:Deployment -> k8s.apps.v1.Deployment."""
    package, module, kind = type_token.split(":")
    if package == "kubernetes":
        group, version = module.split("/")
        python_group = {"core": "core", "helm.sh": "helm"}.get(group, group.split(".")[0])
        try:
            return getattr(importlib.import_module(f"pulumi_kubernetes.{python_group}.{version}"), kind)
        except (ImportError, AttributeError):
            return None  # a custom resource kind: registered through apiextensions.CustomResource
    return getattr(importlib.import_module(f"pulumi_{package.replace('-', '_')}"), kind)


def snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def unwrap_secrets(value: Any) -> Any:
    """Wire-format secrets back into secret Outputs, as the program passed them."""
    if isinstance(value, dict):
        if value.get(SIGNATURE_KEY) == SECRET_MARK:
            return pulumi.Output.secret(unwrap_secrets(value["value"]))
        return {key: unwrap_secrets(item) for key, item in value.items()}
    if isinstance(value, list):
        return [unwrap_secrets(item) for item in value]
    return value


def resource_options(
    options: dict[str, Any], provider: pulumi.ProviderResource | None, parent: pulumi.Resource | None = None
) -> pulumi.ResourceOptions:
    return pulumi.ResourceOptions(
        parent=parent,
        provider=provider,
        protect=options.get("protect"),
        retain_on_delete=options.get("retainOnDelete"),
        delete_before_replace=options.get("deleteBeforeReplace"),
        additional_secret_outputs=options.get("additionalSecretOutputs") or None,
        ignore_changes=options.get("ignoreChanges") or None,
    )


def floor_program(records: list[Record], raw: bool, components: list[Component] | None = None) -> None:
    """Register `records`: through the provider SDK classes (what any program pays), or with `raw=True` through bare
    `pulumi.CustomResource`, Pulumi's own lower bound. With `components`, bare components of the program's types and
    names come first and every resource gets the parent it had in the program: the program's shape without its
    settings, renderers or Outputs."""
    parents: dict[str, pulumi.Resource] = {}
    for type_token, name, parent in components or ():
        component = pulumi.ComponentResource(
            type_token, name, None, pulumi.ResourceOptions(parent=parents.get(parent or ""))
        )
        component.register_outputs({})
        parents[name] = component
    providers: dict[str, pulumi.ProviderResource] = {}
    for type_token, name, wire_inputs, options, parent in records:
        inputs = unwrap_secrets(wire_inputs)
        package = type_token.split(":", 1)[0]
        parent_resource = parents.get(parent or "")
        if package == "pulumi":
            package = type_token.removeprefix("pulumi:providers:")
            providers[package] = pulumi.ProviderResource(
                package, name, inputs, pulumi.ResourceOptions(parent=parent_resource)
            )
            continue
        opts = resource_options(options, providers.get(package), parent_resource)
        cls = None if raw else resource_class(type_token)
        if raw:
            pulumi.CustomResource(type_token, name, inputs, opts)
        elif cls is None:
            from pulumi_kubernetes.apiextensions import CustomResource

            CustomResource(name, **{snake(key): value for key, value in inputs.items()}, opts=opts)
        else:
            cls(name, opts=opts, **{snake(key): value for key, value in inputs.items()})
