"""The catalog (`services`, or `catalogFile`'s) with this stack's `serviceOverrides` and `disabledServices`, and
`serviceSecrets`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from components.spec import ServiceSpec, split_image_reference
from infra.settings.keys import ConfigValues
from infra.settings.patterns import SECRET_PLACEHOLDER
from infra.settings.problems import Problem, show, validation_problems


@dataclass(frozen=True)
class Catalog:
    """The enabled services' merged bodies (not yet validated), and the names this stack disables."""

    bodies: dict[str, dict[str, Any]]
    disabled: list[str]


def merged_catalog(config: ConfigValues, source: Mapping[str, Any] | None = None) -> tuple[Catalog, list[Problem]]:
    """The catalog with per-stack overrides merged in and disabled services left out.

    `source` is the catalog before overrides (`catalogFile`'s, see catalog_file.py); None means `services`.
    """
    problems: list[Problem] = []
    services: dict[str, dict[str, Any]] = {}
    for name, body in (config.section("services") if source is None else source).items():
        if not isinstance(body, dict):
            problems.append(Problem(path=f"services.{name}", message=f"expected an object, got {show(body)}"))
        elif "name" in body:
            problems.append(
                Problem(path=f"services.{name}.name", message="remove it: the key under `services` is the name")
            )
        else:
            services[name] = body
    for name, patch in config.section("serviceOverrides").items():
        if name not in services:
            problems.append(
                Problem(
                    path=f"serviceOverrides.{name}",
                    message=f"no service named '{name}'; known: {', '.join(sorted(services)) or 'none'}",
                )
            )
        elif not isinstance(patch, dict):
            problems.append(Problem(path=f"serviceOverrides.{name}", message=f"expected an object, got {show(patch)}"))
        else:
            services[name] = _deep_merge(services[name], patch)
    disabled, found = _disabled_services(config.values.get("disabledServices", []), services)
    problems += found
    if services and disabled and set(services) <= set(disabled):
        problems.append(
            Problem(path="disabledServices", message="disables every service; leave at least one service enabled")
        )
    for name in disabled:
        services.pop(name, None)
    if not services and "services" in config.values and not disabled:
        problems.append(Problem(path="services", message="the catalog is empty; declare at least one service"))
    return Catalog(bodies=services, disabled=disabled), problems


def service_specs(catalog: Catalog, require_digests: bool) -> tuple[list[ServiceSpec], list[Problem]]:
    """Each enabled service validated, sorted by name; `callers` must name services of the catalog."""
    specs: list[ServiceSpec] = []
    problems: list[Problem] = []
    for name, body in catalog.bodies.items():
        try:
            specs.append(ServiceSpec.model_validate({**body, "name": name}))
        except ValidationError as error:
            problems += validation_problems(error, ("services", name))
    if require_digests:
        problems += [
            Problem(
                path=f"services.{spec.name}.image",
                message=f"'{spec.image}' has no @sha256 digest and requireImageDigests is on; pin the digest "
                "published for this tag (Renovate's digest pinning does) or turn requireImageDigests off",
            )
            for spec in specs
            # A built image is deployed by the digest its push returns.
            if spec.image is not None and split_image_reference(spec.image)[2] is None
        ]
    return sorted(specs, key=lambda spec: spec.name), problems


def caller_problems(catalog: Catalog, specs: list[ServiceSpec]) -> list[Problem]:
    """`callers` name services of the same catalog (a disabled one too); checked once every spec has parsed."""
    known = sorted([*catalog.bodies, *catalog.disabled])
    return [
        Problem(
            path=f"services.{spec.name}.callers",
            message=f"'{caller}' is not a service of the catalog; known: {', '.join(known)}",
        )
        for spec in specs
        for caller in spec.callers
        if caller not in known
    ]


def service_secrets(
    config: ConfigValues, catalog: Catalog, placeholder_secrets: bool
) -> tuple[dict[str, dict[str, str]], list[Problem]]:
    """`serviceSecrets.<service>.<ENV>` for exactly the names each enabled service lists in `secretEnv`."""
    given, problems = config.secrets("serviceSecrets", "<service>.<ENV>")
    services = catalog.bodies
    result: dict[str, dict[str, str]] = {}
    for name, entries in given.items():
        path = f"serviceSecrets.{name}"
        if name in catalog.disabled:
            problems.append(
                Problem(path=path, message=f"'{name}' is in disabledServices; remove its secrets or enable it")
            )
        elif name not in services:
            problems.append(Problem(path=path, message=f"no service named '{name}'"))
        elif not isinstance(entries, dict) or not all(isinstance(value, str) for value in entries.values()):
            problems.append(Problem(path=path, message="expected an object of ENV_NAME: string secret"))
        else:
            result[name] = dict(entries)
    for name, body in services.items():
        declared = body.get("secretEnv", [])
        if not isinstance(declared, list):
            continue
        provided = result.get(name, {})
        problems += [
            Problem(path=f"serviceSecrets.{name}.{env_name}", message=f"not declared in services.{name}.secretEnv")
            for env_name in provided
            if env_name not in declared
        ]
        for env_name in declared:
            if not isinstance(env_name, str) or env_name in provided:
                continue
            if placeholder_secrets:
                result.setdefault(name, {})[env_name] = SECRET_PLACEHOLDER
            else:
                problems.append(
                    Problem(
                        path=f"serviceSecrets.{name}.{env_name}",
                        message="missing; set it with `pulumi config set --secret --path "
                        f"serviceSecrets.{name}.{env_name} <value>`",
                    )
                )
    return result, problems


def _disabled_services(given: list[Any], services: dict[str, dict[str, Any]]) -> tuple[list[str], list[Problem]]:
    disabled: list[str] = []
    problems: list[Problem] = []
    for index, name in enumerate(given):
        path = f"disabledServices.{index}"
        if not isinstance(name, str):
            problems.append(Problem(path=path, message=f"expected a service name, got {show(name)}"))
        elif name not in services:
            known = ", ".join(sorted(services)) or "none"
            problems.append(Problem(path=path, message=f"no service named '{name}'; known: {known}"))
        elif name in disabled:
            problems.append(Problem(path=path, message=f"'{name}' is listed twice"))
        else:
            disabled.append(name)
    return disabled, problems


def _deep_merge(base: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged
