"""Typed settings for one stack, read from raw Pulumi config and validated once, before any resource exists.

`load_settings` is pure: it takes the raw config strings (as the Pulumi engine hands them to the program)
and returns `Settings` or raises `SettingsError` listing every problem at once.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator

from components.spec import VOLUME_PURPOSES, ServiceSpec, SpecModel, VolumePurpose

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


CLOUDFLARE_ID = r"^[0-9a-f]{32}$"
HOSTNAME = r"^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$"
BROWSER_ORIGIN = r"^https://([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(:[0-9]{1,5})?$"
SHA256_HEX = r"^[0-9a-f]{64}$"
CLIENT_NAME = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
# Cloudflare's rate limiting accepts these periods and mitigation timeouts (the Free plan only 10 s).
RATE_LIMIT_PERIODS = (10, 60, 120, 300, 600, 3600)
MITIGATION_TIMEOUTS = (0, 10, 60, 120, 300, 600, 3600, 86400)
# The Workers runtime release the worker's tests run on (edge/package.json); newer dates are untested.
DEFAULT_COMPATIBILITY_DATE = "2026-04-26"


class RateLimitSettings(SpecModel):
    """Cloudflare rate limiting rule in front of the worker, counted per client IP and Cloudflare data center."""

    requests_per_period: Annotated[int, Field(ge=1, le=1_000_000)] = 600
    """Requests one client IP may make per period before it is blocked."""
    period_seconds: Literal[10, 60, 120, 300, 600, 3600] = 60
    """Counting period; the Free plan allows only 10."""
    mitigation_seconds: Literal[0, 10, 60, 120, 300, 600, 3600, 86400] = 60
    """How long a client IP over the limit stays blocked; the Free plan allows only 10."""


class EdgeSettings(SpecModel):
    """Cloudflare Worker in front of the suite (staging, prod): TLS, one hostname, auth, rate limiting."""

    enabled: bool = False
    """Deploy the edge; needs the `kubernetes` target, whose public ingress is the origin."""
    account_id: Annotated[str, Field(pattern=CLOUDFLARE_ID)] | None = None
    """Cloudflare account id (32 hex digits, on the dashboard's account home)."""
    zone_id: Annotated[str, Field(pattern=CLOUDFLARE_ID)] | None = None
    """Id of the Cloudflare zone that holds `hostname`."""
    hostname: Annotated[str, Field(pattern=HOSTNAME, max_length=253)] | None = None
    """Public hostname clients use: `https://<hostname>/<service>/mcp`."""
    origin_host: Annotated[str, Field(pattern=HOSTNAME, max_length=253)] | None = None
    """Public hostname of the cluster's ingress, reached over HTTPS at `/<service>/mcp`."""
    allowed_origins: list[Annotated[str, Field(pattern=BROWSER_ORIGIN)]] = Field(default_factory=list)
    """Browser origins (`https://host[:port]`) allowed by CORS; requests from any other origin get 403."""
    max_body_bytes: Annotated[int, Field(ge=1024, le=100 * 1024 * 1024)] = 1024 * 1024
    """Largest request body forwarded; bigger ones get 413."""
    keepalive_seconds: Annotated[int, Field(ge=5, le=90)] = 25
    """Idle seconds before a keep-alive comment on an SSE stream; below Cloudflare's 100 s read timeout."""
    rate_limit: RateLimitSettings = Field(default_factory=RateLimitSettings)
    """Rate limiting rule of the zone."""
    compatibility_date: Annotated[str, Field(pattern=r"^20[0-9]{2}-[01][0-9]-[0-3][0-9]$")] = DEFAULT_COMPATIBILITY_DATE
    """Workers runtime compatibility date of the script."""
    token_store: bool = False
    """Also accept client tokens whose hashes are keys of a Workers KV namespace, managed outside Pulumi."""

    @model_validator(mode="after")
    def _complete_when_enabled(self) -> EdgeSettings:
        if self.enabled:
            missing = [
                alias
                for alias, value in (
                    ("accountId", self.account_id),
                    ("zoneId", self.zone_id),
                    ("hostname", self.hostname),
                    ("originHost", self.origin_host),
                )
                if value is None
            ]
            if missing:
                raise ValueError(f"the edge is enabled, so set {', '.join(missing)}")
            if self.hostname == self.origin_host:
                raise ValueError("hostname and originHost must differ: the worker would forward to itself")
        return self


class EdgeSecrets(SpecModel):
    """Secrets of the edge, from the `edgeSecrets` config secret."""

    cloudflare_api_token: SecretStr | None = None
    """API token the Cloudflare provider deploys with."""
    client_token_hashes: dict[Annotated[str, Field(pattern=CLIENT_NAME)], Annotated[str, Field(pattern=SHA256_HEX)]] = (
        Field(default_factory=dict)
    )
    """Client name -> SHA-256 (lowercase hex) of the client's bearer token."""

    @field_validator("client_token_hashes")
    @classmethod
    def _one_token_per_client(cls, value: dict[str, str]) -> dict[str, str]:
        shared = sorted(name for name, digest in value.items() if list(value.values()).count(digest) > 1)
        if shared:
            raise ValueError(f"{', '.join(shared)} share one token; give every client its own")
        return value


class Settings(SpecModel):
    """Everything one stack needs, validated."""

    stack: str
    target: Target
    protect_stateful_data: bool
    """Protect and retain stateful storage on delete (prod)."""
    services: tuple[ServiceSpec, ...]
    service_secrets: dict[str, dict[str, SecretStr]]
    """Secret environment values per service, from the `serviceSecrets` config secret."""
    docker: DockerSettings
    kubernetes: KubernetesSettings
    storage: StorageSettings
    edge: EdgeSettings
    edge_secrets: EdgeSecrets

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
    ConfigKey(name="services", kind="object"),
    ConfigKey(name="serviceOverrides", kind="object"),
    ConfigKey(name="serviceSecrets", kind="object"),
    ConfigKey(name="docker", kind="object"),
    ConfigKey(name="kubernetes", kind="object"),
    ConfigKey(name="storage", kind="object"),
    ConfigKey(name="edge", kind="object"),
    ConfigKey(name="edgeSecrets", kind="object"),
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
    edge_secrets = _edge_secrets(values, f"{PROJECT}:edgeSecrets" in secret_keys, placeholder_secrets, problems)
    document = {
        "stack": stack,
        "target": values.get("target"),
        "protectStatefulData": values.get("protectStatefulData"),
        "services": (),
        "serviceSecrets": secrets,
        "docker": values.get("docker", {}),
        "kubernetes": values.get("kubernetes", {}),
        "storage": values.get("storage", {}),
        "edge": values.get("edge", {}),
        "edgeSecrets": edge_secrets,
    }
    specs: list[ServiceSpec] = []
    for name, body in services.items():
        try:
            specs.append(ServiceSpec.model_validate({**body, "name": name}))
        except ValidationError as error:
            problems += _problems(error, service_paths[name])
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


def _edge_secrets(
    values: dict[str, Any], is_secret: bool, placeholder_secrets: bool, problems: list[Problem]
) -> dict[str, Any]:
    """`edgeSecrets` as given, checked to be a secret and complete when the edge is enabled (on kubernetes)."""
    given: dict[str, Any] = dict(values.get("edgeSecrets", {}))
    if given and not is_secret:
        problems.append(
            Problem(
                path="edgeSecrets",
                message="holds plain-text values; set each one with "
                "`pulumi config set --secret --path edgeSecrets.<key> <value>`",
            )
        )
    edge = values.get("edge", {})
    if not (isinstance(edge, dict) and edge.get("enabled") is True):
        return given
    if values.get("target") != "kubernetes":
        problems.append(
            Problem(
                path="edge.enabled",
                message="needs target 'kubernetes': the edge forwards to the cluster's public ingress",
            )
        )
    if "cloudflareApiToken" not in given:
        if placeholder_secrets:
            given["cloudflareApiToken"] = SECRET_PLACEHOLDER
        else:
            problems.append(
                Problem(
                    path="edgeSecrets.cloudflareApiToken",
                    message="missing; the edge is enabled, so set it with "
                    "`pulumi config set --secret --path edgeSecrets.cloudflareApiToken <token>`",
                )
            )
    hashes = given.get("clientTokenHashes")
    if placeholder_secrets and isinstance(hashes, dict):
        # Values the CLI would decrypt are placeholders here; a stand-in digest keeps the render going.
        given["clientTokenHashes"] = {
            name: hashlib.sha256(value.encode()).hexdigest()
            if isinstance(value, str) and value.startswith("<placeholder:")
            else value
            for name, value in hashes.items()
        }
    if not hashes and not placeholder_secrets and not edge.get("tokenStore"):
        problems.append(
            Problem(
                path="edgeSecrets.clientTokenHashes",
                message="no client can authenticate; create a token and store its hash with "
                "`python -m infra edge-token --client <name>`",
            )
        )
    return given


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
