"""Typed settings for one stack, read from raw Pulumi config and validated once, before any resource exists.

`load_settings` is pure: it takes the raw config strings (as the Pulumi engine hands them to the program)
and returns `Settings` or raises `SettingsError` listing every problem at once.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, SecretStr, ValidationError, field_validator, model_validator

from components.render.backup import RESTIC_IMAGE, daily_or_hourly
from components.spec import (
    DEFAULT_UID,
    ServiceSpec,
    SpecModel,
    VolumePurpose,
    split_image_reference,
    validate_host_name,
    validate_image_reference,
)
from infra.koyeb_settings import KoyebSettings, external_store_problems, koyeb_target_problems

PROJECT = "mcp-suite"

Target = Literal["docker", "kubernetes", "koyeb"]
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


class KubernetesSettings(SpecModel):
    """Kubernetes target (stacks `staging`, `prod`)."""

    context: str | None = None
    """kubeconfig context; unset means the ambient kubeconfig's current context."""
    namespace: Annotated[str, Field(pattern=DNS_LABEL)] = "mcp-suite"
    """Namespace that holds the suite; labelled to enforce the restricted Pod Security level."""


HostName = Annotated[str, AfterValidator(validate_host_name)]
LabelMap = Annotated[dict[str, str], Field(min_length=1)]


class PodSelection(SpecModel):
    """Pods of another namespace, chosen by the namespace's name and the pods' labels."""

    namespace: Annotated[str, Field(pattern=DNS_LABEL)]
    """Namespace name (matched on its `kubernetes.io/metadata.name` label)."""
    pod_labels: LabelMap
    """Labels the pods carry."""


class IngressTls(SpecModel):
    """Certificate of the ingress host: issued by cert-manager, or a TLS Secret you provide."""

    cluster_issuer: str | None = None
    """cert-manager ClusterIssuer that issues the certificate into `secretName`; unset means you provide the Secret."""
    secret_name: Annotated[str, Field(pattern=DNS_LABEL)] | None = None
    """TLS Secret in the suite's namespace; defaults to `mcp-<stack>-ingress-tls`."""


class GatewaySettings(SpecModel):
    """The Docker target's single entry: Traefik, terminating TLS on a loopback port."""

    address: Literal["127.0.0.1", "::1"] = "127.0.0.1"
    """Loopback address the gateway is published on; nothing is reachable beyond the machine."""
    port: Annotated[int, Field(ge=1024, le=65535)] = 8443
    """Host port of the gateway (HTTPS)."""
    hostname: HostName = "localhost"
    """Name on the self-signed development certificate (the loopback address is always on it)."""
    certificate_file: str | None = None
    """PEM certificate (chain) to serve instead of the self-signed one; needs `keyFile`."""
    key_file: str | None = None
    """PEM private key of `certificateFile`; read at deploy time, never stored in config."""

    @model_validator(mode="after")
    def _both_files_or_neither(self) -> GatewaySettings:
        if (self.certificate_file is None) != (self.key_file is None):
            raise ValueError("set both `certificateFile` and `keyFile`, or neither for a self-signed certificate")
        return self


class NetworkSettings(SpecModel):
    """Gateway, TLS and network isolation; see docs/network.md."""

    ingress_class: Annotated[str, Field(pattern=DNS_LABEL)] = "nginx"
    """IngressClass of the ingress controller (ingress-nginx installs `nginx`); the annotations are ingress-nginx's."""
    ingress_host: HostName | None = None
    """Public hostname the Ingress serves (the edge's origin); required on Kubernetes."""
    tls: IngressTls = Field(default_factory=IngressTls)
    """Certificate of `ingressHost`."""
    body_limit: Annotated[str, Field(pattern=r"^[1-9][0-9]*[kmg]?$")] = "8m"
    """Largest request body the ingress accepts (nginx size: 512k, 8m, 1g)."""
    stream_timeout_seconds: Annotated[int, Field(ge=60, le=86400)] = 3600
    """How long a quiet stream (SSE) stays open through the ingress and the gateway."""
    ingress_controller: PodSelection = Field(
        default_factory=lambda: PodSelection(
            namespace="ingress-nginx", pod_labels={"app.kubernetes.io/name": "ingress-nginx"}
        )
    )
    """Pods of the ingress controller, the only entry from outside the cluster."""
    monitoring_namespace: Annotated[str, Field(pattern=DNS_LABEL)] = "monitoring"
    """Namespace of Prometheus and the blackbox exporter."""
    prometheus_pod_labels: LabelMap = Field(default_factory=lambda: {"app.kubernetes.io/name": "prometheus"})
    """Labels of the Prometheus pods that scrape the services."""
    blackbox_exporter_pod_labels: LabelMap = Field(
        default_factory=lambda: {"app.kubernetes.io/name": "prometheus-blackbox-exporter"}
    )
    """Labels of the blackbox exporter pods that probe the health paths."""
    cluster_dns: PodSelection = Field(
        default_factory=lambda: PodSelection(namespace="kube-system", pod_labels={"k8s-app": "kube-dns"})
    )
    """Pods of the cluster DNS, the one destination every service may reach."""
    gateway: GatewaySettings = Field(default_factory=GatewaySettings)
    """Docker target's gateway."""

    @property
    def prometheus(self) -> PodSelection:
        return PodSelection(namespace=self.monitoring_namespace, pod_labels=self.prometheus_pod_labels)

    @property
    def blackbox_exporter(self) -> PodSelection:
        return PodSelection(namespace=self.monitoring_namespace, pod_labels=self.blackbox_exporter_pod_labels)


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


ReceiverName = Literal["page", "ticket"]
"""Where alerts go: `page` gets critical alerts, `ticket` gets warnings; info alerts are never sent."""
RECEIVER_NAMES: tuple[ReceiverName, ...] = ("page", "ticket")
MONITORING_SECRET_NAMES = ("grafanaAdminPassword", *RECEIVER_NAMES)


class ReceiverSettings(SpecModel):
    """One Alertmanager receiver; its credential (URL or key) is `monitoringSecrets.<page|ticket>`."""

    kind: Literal["slack", "pagerduty"]
    """`slack` (the secret is the incoming-webhook URL) or `pagerduty` (the secret is the Events v2 routing key)."""
    channel: str | None = None
    """Slack channel, for `slack` only; unset means the webhook's own channel."""

    @model_validator(mode="after")
    def _channel_only_for_slack(self) -> ReceiverSettings:
        if self.channel is not None and self.kind != "slack":
            raise ValueError(f"`channel` is only for slack receivers, not {self.kind}")
        return self


class MonitoringSettings(SpecModel):
    """The monitoring stack: metrics, alerts, dashboards, logs and (optionally) traces."""

    enabled: bool = True
    """Deploy the monitoring stack next to the services."""
    tracing: bool = False
    """Deploy Jaeger v2 (OpenTelemetry collector inside) for traces; OTLP on 4317 (gRPC) and 4318 (HTTP)."""
    retention: Annotated[str, Field(pattern=r"^[1-9][0-9]*(h|d|w)$")] = "15d"
    """How long Prometheus and Loki keep data, e.g. `15d`."""
    backup_max_age_hours: Annotated[int, Field(ge=1, le=24 * 31)] = 26
    """A backup older than this raises BackupTooOld: the backup schedule's interval plus slack (daily: 26)."""
    namespace: Annotated[str, Field(pattern=DNS_LABEL)] = "monitoring"
    """Kubernetes namespace of the monitoring stack (one per cluster)."""
    receivers: dict[ReceiverName, ReceiverSettings] = Field(default_factory=dict)
    """Alert receivers by route; a route without a receiver keeps its alerts in Alertmanager only."""


CRON_FIELD = r"[0-9*,/-]+"
BACKED_UP_TARGETS = ("docker", "kubernetes")
"""Targets with volumes; Koyeb runs no stateful service of its own (docs/koyeb.md), so it has nothing to back up."""
BACKED_UP_BY_DEFAULT: tuple[VolumePurpose, ...] = ("memory-graph", "filesystem", "snapshots", "task-queues")


class BackupSettings(SpecModel):
    """Scheduled restic backups of the suite's volumes (see docs/backup-restore.md)."""

    enabled: bool = True
    """Back up the volumes in `volumes` on `schedule`."""
    schedule: Annotated[str, Field(pattern=rf"^{CRON_FIELD}( {CRON_FIELD}){{4}}$")] = "30 2 * * *"
    """Cron schedule in UTC. Docker runs daily (`M H * * *`) or hourly (`M * * * *`) schedules only."""
    repository: Annotated[str, Field(pattern=r"^s3:\S+$")] | None = None
    """Base restic repository, `s3:https://<endpoint>/<bucket>/<prefix>`; each volume gets `<base>/<purpose>`.
    Required on Kubernetes; unset on Docker means a local named volume (`mcp-<stack>-backup-repository`)."""
    volumes: list[VolumePurpose] = Field(default_factory=lambda: list(BACKED_UP_BY_DEFAULT))
    """Volumes to back up; `logs` is left out by default (logs are shipped, and rotate)."""
    image: str = RESTIC_IMAGE
    """restic image, pinned by tag or digest."""

    @field_validator("image")
    @classmethod
    def _pinned_image(cls, value: str) -> str:
        return validate_image_reference(value)

    @field_validator("volumes")
    @classmethod
    def _unique(cls, value: list[VolumePurpose]) -> list[VolumePurpose]:
        if len(set(value)) != len(value):
            raise ValueError("lists a volume twice")
        return value


class BackupSecrets(SpecModel):
    """Secrets of the backup repository, from the `backupSecrets` config secret."""

    password: SecretStr
    """restic repository password; every snapshot is encrypted with it. Lose it and the backups are unreadable."""
    s3_access_key_id: SecretStr | None = None
    """S3 access key (AWS_ACCESS_KEY_ID); unset when the cluster grants bucket access another way."""
    s3_secret_access_key: SecretStr | None = None
    """S3 secret key (AWS_SECRET_ACCESS_KEY); set together with the access key."""


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
    require_image_digests: bool = False
    """Every service image must carry an @sha256 digest; the policy pack enforces the same on the stack."""
    services: tuple[ServiceSpec, ...]
    """The catalog with this stack's overrides, minus `disabled_services`, sorted by name."""
    disabled_services: list[str]
    """Catalog services this stack leaves out."""
    service_secrets: dict[str, dict[str, SecretStr]]
    """Secret environment values per service, from the `serviceSecrets` config secret."""
    docker: DockerSettings
    kubernetes: KubernetesSettings
    storage: StorageSettings
    backup: BackupSettings
    backup_secrets: BackupSecrets | None
    """None only when the stack backs nothing up (`backs_up` is false)."""
    koyeb: KoyebSettings
    network: NetworkSettings
    monitoring: MonitoringSettings
    monitoring_secrets: dict[str, SecretStr]
    """Grafana's admin password and receiver credentials, from the `monitoringSecrets` config secret."""
    edge: EdgeSettings
    edge_secrets: EdgeSecrets

    @property
    def name_prefix(self) -> str:
        """Prefix of names that must be unique on a shared Docker host or cluster."""
        return f"mcp-{self.stack}"

    @property
    def backs_up(self) -> bool:
        """Backups are on and the target has volumes."""
        return self.backup.enabled and self.target in BACKED_UP_TARGETS

    @property
    def koyeb_app_name(self) -> str:
        return self.koyeb.app_name or self.name_prefix

    @property
    def ingress_tls_secret(self) -> str:
        return self.network.tls.secret_name or f"{self.name_prefix}-ingress-tls"

    def monitoring_secret(self, name: str) -> str | None:
        secret = self.monitoring_secrets.get(name)
        return secret.get_secret_value() if secret is not None else None

    def secret_value(self, service: str, env_name: str) -> str:
        return self.service_secrets[service][env_name].get_secret_value()

    def writer_of(self, purpose: VolumePurpose) -> ServiceSpec | None:
        """The service that mounts the volume writable (else any that mounts it), or None if none does."""
        mounting = [
            (mount.read_only, spec) for spec in self.services for mount in spec.volumes if mount.volume == purpose
        ]
        return min(mounting, key=lambda entry: entry[0])[1] if mounting else None

    def volume_owner(self, purpose: VolumePurpose) -> int:
        """UID that owns the volume's files: its writer's, else the default service UID."""
        writer = self.writer_of(purpose)
        return writer.run_as_user if writer is not None else DEFAULT_UID


class ConfigKey(SpecModel):
    """Declaration of one project config key; Pulumi.yaml holds the same list (a test keeps them equal)."""

    name: str
    kind: Literal["string", "integer", "boolean", "array", "object"]


CONFIG_KEYS: tuple[ConfigKey, ...] = (
    ConfigKey(name="target", kind="string"),
    ConfigKey(name="protectStatefulData", kind="boolean"),
    ConfigKey(name="requireImageDigests", kind="boolean"),
    ConfigKey(name="services", kind="object"),
    ConfigKey(name="serviceOverrides", kind="object"),
    ConfigKey(name="disabledServices", kind="array"),
    ConfigKey(name="serviceSecrets", kind="object"),
    ConfigKey(name="docker", kind="object"),
    ConfigKey(name="kubernetes", kind="object"),
    ConfigKey(name="storage", kind="object"),
    ConfigKey(name="backup", kind="object"),
    ConfigKey(name="backupSecrets", kind="object"),
    ConfigKey(name="koyeb", kind="object"),
    ConfigKey(name="network", kind="object"),
    ConfigKey(name="monitoring", kind="object"),
    ConfigKey(name="monitoringSecrets", kind="object"),
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
    services, service_paths, disabled = _catalog(values, problems)
    secrets = _service_secrets(
        values, services, disabled, f"{PROJECT}:serviceSecrets" in secret_keys, placeholder_secrets, problems
    )
    edge_secrets = _edge_secrets(values, f"{PROJECT}:edgeSecrets" in secret_keys, placeholder_secrets, problems)
    document = {
        "stack": stack,
        "target": values.get("target"),
        "protectStatefulData": values.get("protectStatefulData"),
        "requireImageDigests": values.get("requireImageDigests", False),
        "services": (),
        "disabledServices": disabled,
        "serviceSecrets": secrets,
        "docker": values.get("docker", {}),
        "kubernetes": values.get("kubernetes", {}),
        "storage": values.get("storage", {}),
        "backup": values.get("backup", {}),
        "backupSecrets": _backup_secrets(
            values, f"{PROJECT}:backupSecrets" in secret_keys, placeholder_secrets, problems
        ),
        "koyeb": values.get("koyeb", {}),
        "network": values.get("network", {}),
        "monitoring": values.get("monitoring", {}),
        "monitoringSecrets": _monitoring_secrets(
            values, f"{PROJECT}:monitoringSecrets" in secret_keys, placeholder_secrets, problems
        ),
        "edge": values.get("edge", {}),
        "edgeSecrets": edge_secrets,
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
    if settings is not None:
        problems += _backup_problems(settings)
        found = external_store_problems(settings.koyeb, sorted(services), specs)
        if settings.target == "koyeb":
            found += koyeb_target_problems(settings.koyeb, settings.koyeb_app_name, specs)
        problems += [Problem(path=path, message=message) for path, message in found]
        problems += _monitoring_namespace_problems(settings)
        if settings.target == "koyeb" and settings.monitoring.enabled:
            problems.append(
                Problem(
                    path="monitoring.enabled",
                    message="the koyeb target runs no monitoring stack (Koyeb shows logs and metrics in its "
                    "console); set it to false",
                )
            )
    problems += _caller_problems(specs, service_paths)
    if settings is not None and settings.target == "kubernetes" and settings.network.ingress_host is None:
        problems.append(
            Problem(
                path="network.ingressHost",
                message="required for the kubernetes target: the public hostname the Ingress serves "
                "(the edge's origin), e.g. `pulumi config set --path network.ingressHost mcp-origin.example.com`",
            )
        )
    if problems:
        raise SettingsError(stack, _sorted_unique(problems))
    assert settings is not None
    return settings.model_copy(update={"services": tuple(sorted(specs, key=lambda spec: spec.name))})


def plain_text_secrets(key: str, leaf: str) -> Problem:
    """A secret config key whose values were set without `--secret`: they would sit in plain text in the file."""
    return Problem(
        path=key,
        message=f"holds plain-text values; set each one with `pulumi config set --secret --path {key}.{leaf} <value>`",
    )


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
        expected = {"integer": int, "boolean": bool, "array": list, "object": dict}[declaration.kind]
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
) -> tuple[dict[str, dict[str, Any]], dict[str, tuple[str, ...]], list[str]]:
    """The catalog with per-stack overrides merged in and disabled services left out; remembers where each
    service came from for messages. Returns (services, their config paths, the disabled names)."""
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
    disabled = _disabled_services(values.get("disabledServices", []), services, problems)
    if services and disabled and set(services) <= set(disabled):
        problems.append(
            Problem(path="disabledServices", message="disables every service; leave at least one service enabled")
        )
    for name in disabled:
        services.pop(name, None)
    if not services and "services" in values and not disabled:
        problems.append(Problem(path="services", message="the catalog is empty; declare at least one service"))
    return services, paths, disabled


def _disabled_services(given: list[Any], services: dict[str, dict[str, Any]], problems: list[Problem]) -> list[str]:
    disabled: list[str] = []
    for index, name in enumerate(given):
        path = f"disabledServices.{index}"
        if not isinstance(name, str):
            problems.append(Problem(path=path, message=f"expected a service name, got {_show(name)}"))
        elif name not in services:
            known = ", ".join(sorted(services)) or "none"
            problems.append(Problem(path=path, message=f"no service named '{name}'; known: {known}"))
        elif name in disabled:
            problems.append(Problem(path=path, message=f"'{name}' is listed twice"))
        else:
            disabled.append(name)
    return disabled


def _caller_problems(specs: list[ServiceSpec], paths: dict[str, tuple[str, ...]]) -> list[Problem]:
    """`callers` name services of the same catalog; checked once every spec has parsed."""
    known = sorted(paths)
    problems = []
    for spec in specs:
        for caller in spec.callers:
            if caller not in known:
                problems.append(
                    Problem(
                        path=".".join((*paths[spec.name], "callers")),
                        message=f"'{caller}' is not a service of the catalog; known: {', '.join(known)}",
                    )
                )
    return problems


def _service_secrets(
    values: dict[str, Any],
    services: dict[str, dict[str, Any]],
    disabled: list[str],
    is_secret: bool,
    placeholder_secrets: bool,
    problems: list[Problem],
) -> dict[str, dict[str, str]]:
    given: dict[str, Any] = values.get("serviceSecrets", {})
    if given and not is_secret:
        problems.append(plain_text_secrets("serviceSecrets", "<service>.<ENV>"))
    result: dict[str, dict[str, str]] = {}
    for name, entries in given.items():
        if name in disabled:
            problems.append(
                Problem(
                    path=f"serviceSecrets.{name}",
                    message=f"'{name}' is in disabledServices; remove its secrets or enable it",
                )
            )
            continue
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


def _monitoring_namespace_problems(settings: Settings) -> list[Problem]:
    shared = settings.monitoring.namespace == settings.kubernetes.namespace
    if settings.target != "kubernetes" or not settings.monitoring.enabled or not shared:
        return []
    return [
        Problem(
            path="monitoring.namespace",
            message=f"is the services' namespace '{settings.kubernetes.namespace}', which enforces the restricted Pod "
            "Security level that node-exporter cannot meet; pick another namespace",
        )
    ]


def _monitoring_secrets(
    values: dict[str, Any], is_secret: bool, placeholder_secrets: bool, problems: list[Problem]
) -> dict[str, str]:
    """Grafana's admin password and the credential of every configured receiver, each required and secret."""
    given: dict[str, Any] = values.get("monitoringSecrets", {})
    monitoring = values.get("monitoring", {})
    if not isinstance(monitoring, dict) or monitoring.get("enabled", True) is False or values.get("target") == "koyeb":
        return {}
    if given and not is_secret:
        problems.append(plain_text_secrets("monitoringSecrets", "<name>"))
    receivers = monitoring.get("receivers", {})
    needed = [
        "grafanaAdminPassword",
        *(name for name in RECEIVER_NAMES if isinstance(receivers, dict) and name in receivers),
    ]
    result: dict[str, str] = {}
    for name, value in given.items():
        if name not in MONITORING_SECRET_NAMES:
            problems.append(
                Problem(
                    path=f"monitoringSecrets.{name}",
                    message=f"unknown secret; allowed: {', '.join(MONITORING_SECRET_NAMES)}",
                )
            )
        elif not isinstance(value, str) or not value:
            problems.append(Problem(path=f"monitoringSecrets.{name}", message="expected a non-empty string secret"))
        else:
            result[name] = value
    for name in needed:
        if name in result or any(problem.path == f"monitoringSecrets.{name}" for problem in problems):
            continue
        if placeholder_secrets:
            result[name] = SECRET_PLACEHOLDER
        else:
            purpose = (
                "Grafana's admin password" if name == "grafanaAdminPassword" else f"the `{name}` receiver's credential"
            )
            problems.append(
                Problem(
                    path=f"monitoringSecrets.{name}",
                    message=f"missing ({purpose}); set it with "
                    f"`pulumi config set --secret --path monitoringSecrets.{name} <value>`",
                )
            )
    return result


def _backup_secrets(
    values: dict[str, Any], is_secret: bool, placeholder_secrets: bool, problems: list[Problem]
) -> dict[str, Any] | None:
    given: dict[str, Any] = values.get("backupSecrets", {})
    backup = values.get("backup", {})
    if values.get("target") not in BACKED_UP_TARGETS or (isinstance(backup, dict) and backup.get("enabled") is False):
        return None
    if given and not is_secret:
        problems.append(plain_text_secrets("backupSecrets", "<name>"))
        return None
    if "password" not in given:
        if placeholder_secrets:
            return {**given, "password": SECRET_PLACEHOLDER}
        problems.append(
            Problem(
                path="backupSecrets.password",
                message="missing; set a long random restic password with `pulumi config set --secret --path "
                "backupSecrets.password <value>` and keep a copy outside the stack (without it no backup can be "
                "read), or turn backups off with `backup.enabled: false`",
            )
        )
        return None
    return given


def _backup_problems(settings: Settings) -> list[Problem]:
    """Rules that join backup settings with the target and storage settings."""
    backup = settings.backup
    if not settings.backs_up:
        return []
    problems: list[Problem] = []
    if settings.target == "kubernetes" and backup.repository is None:
        problems.append(
            Problem(
                path="backup.repository",
                message="required on Kubernetes stacks: set an S3 repository, e.g. `pulumi config set --path "
                f"backup.repository s3:https://<endpoint>/<bucket>/{settings.name_prefix}`",
            )
        )
    if settings.target == "kubernetes" and settings.storage.access_mode == "ReadWriteOncePod":
        problems.append(
            Problem(
                path="storage.accessMode",
                message="ReadWriteOncePod lets no backup pod mount a claim beside its service; use ReadWriteOnce "
                "or ReadWriteMany, or turn backups off with `backup.enabled: false`",
            )
        )
    if settings.target == "docker" and daily_or_hourly(backup.schedule) is None:
        problems.append(
            Problem(
                path="backup.schedule",
                message=f"{backup.schedule!r}: the Docker backup container runs daily (`M H * * *`) or hourly "
                "(`M * * * *`) schedules, in UTC",
            )
        )
    secrets = settings.backup_secrets
    if secrets is not None and (secrets.s3_access_key_id is None) != (secrets.s3_secret_access_key is None):
        problems.append(
            Problem(
                path="backupSecrets",
                message="set both s3AccessKeyId and s3SecretAccessKey, or neither",
            )
        )
    return problems


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


def _edge_secrets(
    values: dict[str, Any], is_secret: bool, placeholder_secrets: bool, problems: list[Problem]
) -> dict[str, Any]:
    """`edgeSecrets` as given, checked to be a secret and complete when the edge is enabled (on kubernetes)."""
    given: dict[str, Any] = dict(values.get("edgeSecrets", {}))
    if given and not is_secret:
        problems.append(plain_text_secrets("edgeSecrets", "<key>"))
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
        if location and location[-1] == "[key]":  # a bad mapping key: name the key, not pydantic's marker
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
