"""Typed settings for one stack, read from raw Pulumi config and validated once, before any resource exists.

`load_settings` is pure: it takes the raw config strings (as the Pulumi engine hands them to the program)
and returns `Settings` or raises `SettingsError` listing every problem at once.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, ValidationError, model_validator

from components.spec import VOLUME_PURPOSES, ServiceSpec, SpecModel, VolumePurpose, split_image_reference

PROJECT = "mcp-suite"

Target = Literal["docker", "kubernetes"]
KUBE_QUANTITY = r"^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti)$"
DNS_LABEL = r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$"
SECRET_PLACEHOLDER = "<placeholder: secret not set in this render>"
DEFAULT_VOLUME_SIZES: dict[VolumePurpose, str] = {
    "memory-graph": "5Gi",
    "filesystem": "20Gi",
    "logs": "5Gi",
    "snapshots": "20Gi",
    "task-queues": "2Gi",
}


class DockerSettings(SpecModel):
    """Local Docker target (stack `dev`)."""

    host: str | None = None
    """Docker daemon address; unset means the provider's default (DOCKER_HOST or the local socket)."""
    publish_address: Literal["127.0.0.1", "::1"] = "127.0.0.1"
    """Loopback address that host ports are published on; nothing is published beyond the machine."""
    host_port_base: Annotated[int, Field(ge=1024, le=65000)] = 18000
    """First host port; services get consecutive ports in catalog name order."""


class KubernetesSettings(SpecModel):
    """Kubernetes target (stacks `staging`, `prod`)."""

    context: str | None = None
    """kubeconfig context; unset means the ambient kubeconfig's current context."""
    namespace: Annotated[str, Field(pattern=DNS_LABEL)] = "mcp-suite"
    """Namespace that holds the suite; labelled to enforce the restricted Pod Security level."""


class StorageSettings(SpecModel):
    """Persistent volumes, one per purpose."""

    storage_class: str | None = None
    """StorageClass of the PersistentVolumeClaims; unset means the cluster default."""
    access_mode: Literal["ReadWriteOnce", "ReadWriteOncePod", "ReadWriteMany"] = "ReadWriteOnce"
    """Access mode of the PersistentVolumeClaims."""
    sizes: dict[VolumePurpose, Annotated[str, Field(pattern=KUBE_QUANTITY)]] = Field(
        default_factory=lambda: dict(DEFAULT_VOLUME_SIZES)
    )
    """Requested size per volume purpose; purposes left out keep their default."""

    @model_validator(mode="before")
    @classmethod
    def _merge_default_sizes(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("sizes"), dict):
            return {**data, "sizes": {**DEFAULT_VOLUME_SIZES, **data["sizes"]}}
        return data


class Settings(SpecModel):
    """Everything one stack needs, validated."""

    stack: str
    target: Target
    protect_stateful_data: bool
    """Protect and retain stateful storage on delete (prod)."""
    require_image_digests: bool = False
    """Every service image must carry an @sha256 digest; the policy pack enforces the same on the stack."""
    services: tuple[ServiceSpec, ...]
    service_secrets: dict[str, dict[str, SecretStr]]
    """Secret environment values per service, from the `serviceSecrets` config secret."""
    docker: DockerSettings
    kubernetes: KubernetesSettings
    storage: StorageSettings

    @property
    def name_prefix(self) -> str:
        """Prefix of names that must be unique on a shared Docker host or cluster."""
        return f"mcp-{self.stack}"

    def secret_value(self, service: str, env_name: str) -> str:
        return self.service_secrets[service][env_name].get_secret_value()

    @property
    def volume_purposes_in_use(self) -> tuple[VolumePurpose, ...]:
        used = {mount.volume for spec in self.services for mount in spec.volumes}
        return tuple(purpose for purpose in VOLUME_PURPOSES if purpose in used)


class ConfigKey(SpecModel):
    """Declaration of one project config key; Pulumi.yaml holds the same list (a test keeps them equal)."""

    name: str
    kind: Literal["string", "integer", "boolean", "object"]


CONFIG_KEYS: tuple[ConfigKey, ...] = (
    ConfigKey(name="target", kind="string"),
    ConfigKey(name="protectStatefulData", kind="boolean"),
    ConfigKey(name="requireImageDigests", kind="boolean"),
    ConfigKey(name="services", kind="object"),
    ConfigKey(name="serviceOverrides", kind="object"),
    ConfigKey(name="serviceSecrets", kind="object"),
    ConfigKey(name="docker", kind="object"),
    ConfigKey(name="kubernetes", kind="object"),
    ConfigKey(name="storage", kind="object"),
)


class Problem(SpecModel):
    """One bad config value: where it is, what it was, what is allowed."""

    path: str
    message: str


class SettingsError(Exception):
    """Every problem found in one stack's config, as one readable message."""

    def __init__(self, stack: str, problems: list[Problem]) -> None:
        self.stack = stack
        self.problems = problems
        super().__init__(self.render())

    def render(self) -> str:
        count = len(self.problems)
        lines = [f"Invalid configuration for stack '{self.stack}' ({count} problem{'s' if count != 1 else ''}):"]
        lines += [f"  - {PROJECT}:{problem.path}: {problem.message}" for problem in self.problems]
        lines.append(
            f"Fix these in Pulumi.{self.stack}.yaml (or with `pulumi config set --path ...`) and run again; "
            "the keys and their defaults are declared in Pulumi.yaml."
        )
        return "\n".join(lines)


def load_settings(
    stack: str,
    raw: Mapping[str, str],
    secret_keys: frozenset[str] = frozenset(),
    *,
    placeholder_secrets: bool = False,
) -> Settings:
    """Validate raw config (`{"mcp-suite:key": "value"}`) into Settings, or raise SettingsError with every problem.

    `secret_keys` are the fully qualified keys the engine reports as secret. With `placeholder_secrets`
    (credential-free renders), declared secret values that are missing get a marked placeholder.
    """
    problems: list[Problem] = []
    values = _decode_keys(raw, problems)
    services, service_paths = _catalog(values, problems)
    secrets = _service_secrets(
        values, services, f"{PROJECT}:serviceSecrets" in secret_keys, placeholder_secrets, problems
    )
    document = {
        "stack": stack,
        "target": values.get("target"),
        "protectStatefulData": values.get("protectStatefulData"),
        "requireImageDigests": values.get("requireImageDigests", False),
        "services": (),
        "serviceSecrets": secrets,
        "docker": values.get("docker", {}),
        "kubernetes": values.get("kubernetes", {}),
        "storage": values.get("storage", {}),
    }
    specs: list[ServiceSpec] = []
    for name, body in services.items():
        try:
            specs.append(ServiceSpec.model_validate({**body, "name": name}))
        except ValidationError as error:
            problems += _problems(error, service_paths[name])
    if values.get("requireImageDigests") is True:
        problems += _undigested_images(specs)
    try:
        settings = Settings.model_validate(document)
    except ValidationError as error:
        # A key that failed to decode is reported once, not again as a missing or null field.
        undecodable = {problem.path.split(".")[0] for problem in problems}
        problems += [problem for problem in _problems(error, ()) if problem.path.split(".")[0] not in undecodable]
        settings = None
    if problems:
        raise SettingsError(stack, _sorted_unique(problems))
    assert settings is not None
    return settings.model_copy(update={"services": tuple(sorted(specs, key=lambda spec: spec.name))})


def _decode_keys(raw: Mapping[str, str], problems: list[Problem]) -> dict[str, Any]:
    declared = {key.name: key for key in CONFIG_KEYS}
    values: dict[str, Any] = {}
    for full_key, text in raw.items():
        namespace, _, key = full_key.partition(":")
        if namespace != PROJECT:
            continue
        declaration = declared.get(key)
        if declaration is None:
            problems.append(Problem(path=key, message=f"unknown key; allowed keys: {', '.join(sorted(declared))}"))
            continue
        if declaration.kind == "string":
            values[key] = text
            continue
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            problems.append(Problem(path=key, message=f"expected {declaration.kind}, got {text!r}"))
            continue
        expected = {"integer": int, "boolean": bool, "object": dict}[declaration.kind]
        if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            problems.append(Problem(path=key, message=f"expected {declaration.kind}, got {_show(value)}"))
            continue
        values[key] = value
    for key in ("target", "protectStatefulData", "services"):
        if key not in values and not any(problem.path == key for problem in problems):
            problems.append(
                Problem(path=key, message="missing; it has a default in Pulumi.yaml, so the project file is incomplete")
            )
    return values


def _catalog(
    values: dict[str, Any], problems: list[Problem]
) -> tuple[dict[str, dict[str, Any]], dict[str, tuple[str, ...]]]:
    """The catalog with per-stack overrides merged in; remembers where each service came from for messages."""
    services: dict[str, dict[str, Any]] = {}
    paths: dict[str, tuple[str, ...]] = {}
    for name, body in values.get("services", {}).items():
        if not isinstance(body, dict):
            problems.append(Problem(path=f"services.{name}", message=f"expected an object, got {_show(body)}"))
            continue
        if "name" in body:
            problems.append(
                Problem(path=f"services.{name}.name", message="remove it: the key under `services` is the name")
            )
            continue
        services[name] = body
        paths[name] = ("services", name)
    for name, patch in values.get("serviceOverrides", {}).items():
        if name not in services:
            problems.append(
                Problem(
                    path=f"serviceOverrides.{name}",
                    message=f"no service named '{name}'; known: {', '.join(sorted(services)) or 'none'}",
                )
            )
            continue
        if not isinstance(patch, dict):
            problems.append(Problem(path=f"serviceOverrides.{name}", message=f"expected an object, got {_show(patch)}"))
            continue
        services[name] = _deep_merge(services[name], patch)
        paths[name] = ("services", name)
    if not services and "services" in values:
        problems.append(Problem(path="services", message="the catalog is empty; declare at least one service"))
    return services, paths


def _service_secrets(
    values: dict[str, Any],
    services: dict[str, dict[str, Any]],
    is_secret: bool,
    placeholder_secrets: bool,
    problems: list[Problem],
) -> dict[str, dict[str, str]]:
    given: dict[str, Any] = values.get("serviceSecrets", {})
    if given and not is_secret:
        problems.append(
            Problem(
                path="serviceSecrets",
                message="holds plain-text values; set each one with "
                "`pulumi config set --secret --path serviceSecrets.<service>.<ENV> <value>`",
            )
        )
    result: dict[str, dict[str, str]] = {}
    for name, entries in given.items():
        if name not in services:
            problems.append(Problem(path=f"serviceSecrets.{name}", message=f"no service named '{name}'"))
            continue
        if not isinstance(entries, dict) or not all(isinstance(value, str) for value in entries.values()):
            problems.append(
                Problem(path=f"serviceSecrets.{name}", message="expected an object of ENV_NAME: string secret")
            )
            continue
        result[name] = dict(entries)
    for name, body in services.items():
        declared = body.get("secretEnv", [])
        if not isinstance(declared, list):
            continue
        provided = result.get(name, {})
        for env_name in provided:
            if env_name not in declared:
                problems.append(
                    Problem(
                        path=f"serviceSecrets.{name}.{env_name}", message=f"not declared in services.{name}.secretEnv"
                    )
                )
        for env_name in declared:
            if isinstance(env_name, str) and env_name not in provided:
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
    return result


def _undigested_images(specs: list[ServiceSpec]) -> list[Problem]:
    return [
        Problem(
            path=f"services.{spec.name}.image",
            message=f"'{spec.image}' has no @sha256 digest and requireImageDigests is on; pin the digest "
            "published for this tag (Renovate's digest pinning does) or turn requireImageDigests off",
        )
        for spec in specs
        if split_image_reference(spec.image)[2] is None
    ]


def _deep_merge(base: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _problems(error: ValidationError, prefix: tuple[str, ...]) -> list[Problem]:
    problems = []
    for detail in error.errors(include_url=False):
        location = [str(part) for part in prefix + tuple(detail["loc"])]
        if location and location[-1].startswith("function-after["):
            location.pop()
        message = detail["msg"].removeprefix("Value error, ")
        if detail["type"] == "extra_forbidden":
            message = "unknown key; remove it (see the documented fields in components/spec.py and infra/settings.py)"
        elif detail["type"] == "missing":
            message = "required"
        elif not isinstance(detail["input"], (dict, list)) and "'" + str(detail["input"]) + "'" not in message:
            message = f"{message} (got {_show(detail['input'])})"
        problems.append(Problem(path=".".join(location), message=message))
    return problems


def _show(value: Any) -> str:
    return json.dumps(value) if not isinstance(value, str) else repr(value)


def _sorted_unique(problems: list[Problem]) -> list[Problem]:
    seen: dict[tuple[str, str], Problem] = {}
    for problem in problems:
        seen.setdefault((problem.path, problem.message), problem)
    return list(seen.values())
