"""Target-neutral declaration of one MCP service: the single source every target reads.

A ServiceSpec is validated once, when settings are loaded, and is immutable afterwards.
Docker, Kubernetes, monitoring, network policy and the edge all derive from it.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel

SERVICE_NAME = re.compile(r"^[a-z]([a-z0-9-]{0,30}[a-z0-9])?$")
RESERVED_SERVICE_NAMES = {
    "certificate": "the Ingress that holds the TLS certificate",
    "default-deny": "the namespace's default-deny NetworkPolicy",
    "gateway": "the Docker gateway container",
}
"""Names the suite's own objects take next to the services' objects of the same kind."""
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
REPOSITORY = re.compile(
    r"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?::[0-9]+)?(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$"
)
TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
DIGEST = re.compile(r"^sha256:[a-f0-9]{64}$")
HOST_NAME = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$")


class SpecModel(BaseModel):
    """Base for every declaration read from config: camelCase keys, unknown keys rejected, immutable."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        frozen=True,
        strict=True,
    )


Tier = Literal["small", "medium", "large"]
"""Size tiers from the design documents; each maps to requests and limits in `TIER_RESOURCES`."""


class Resources(SpecModel):
    """CPU in cores and memory in MiB, as request and limit."""

    cpu_request: float
    cpu_limit: float
    memory_request_mib: int
    memory_limit_mib: int

    @property
    def cpu_request_k8s(self) -> str:
        return f"{round(self.cpu_request * 1000)}m"

    @property
    def cpu_limit_k8s(self) -> str:
        return f"{round(self.cpu_limit * 1000)}m"

    @property
    def memory_request_k8s(self) -> str:
        return f"{self.memory_request_mib}Mi"

    @property
    def memory_limit_k8s(self) -> str:
        return f"{self.memory_limit_mib}Mi"


TIER_RESOURCES: dict[Tier, Resources] = {
    "small": Resources(cpu_request=0.2, cpu_limit=1.0, memory_request_mib=256, memory_limit_mib=512),
    "medium": Resources(cpu_request=0.5, cpu_limit=2.0, memory_request_mib=512, memory_limit_mib=1024),
    "large": Resources(cpu_request=1.0, cpu_limit=4.0, memory_request_mib=1024, memory_limit_mib=2048),
}


Transport = Literal["streamable-http", "sse", "stdio"]
Sessions = Literal["stateful", "stateless", "shared"]
"""Where a server keeps MCP sessions (`Mcp-Session-Id`):
`stateful`: in one process's memory, so the service runs one replica: an `initialize` request carries no session
id, so no proxy can send a new session back to the replica that created it;
`stateless`: the server issues no session ids (every request stands alone), so replicas are interchangeable;
`shared`: ids are issued but the session state lives in a store every replica reads, so replicas may serve any
session; the gateway still hashes on `Mcp-Session-Id` so a session's streams and resumption stay on one pod."""
VolumePurpose = Literal["memory-graph", "filesystem", "logs", "snapshots", "task-queues"]
VOLUME_PURPOSES: tuple[VolumePurpose, ...] = ("memory-graph", "filesystem", "logs", "snapshots", "task-queues")
DEFAULT_UID = 10001
"""Non-root UID (and GID) of services, and owner of volumes no service mounts."""


class Replicas(SpecModel):
    """Replica bounds; stateless services autoscale between them, stateful services run `min`."""

    min: Annotated[int, Field(ge=1, le=100)] = 1
    max: Annotated[int, Field(ge=1, le=100)] = 1

    @model_validator(mode="after")
    def _min_not_above_max(self) -> Replicas:
        if self.min > self.max:
            raise ValueError(f"min ({self.min}) is above max ({self.max}); set min <= max")
        return self


class VolumeMount(SpecModel):
    """A named volume of the suite mounted into the service."""

    volume: VolumePurpose
    """Which of the suite's volumes (see StorageVolumes)."""
    mount_path: Annotated[str, Field(pattern=r"^/[^\s]*$")]
    """Absolute path inside the container."""
    read_only: bool = False
    """Mount read-only when the service only reads the data."""


SHELL_SYNTAX = re.compile(r"[\s\"'`$|&;<>()\\*?]")
IMAGE_SERVERS_DIR = "images/servers"
"""Where the server packages the suite builds images of live, one folder (package.json and lockfile) each."""


class ImageBuild(SpecModel):
    """An image the suite builds itself, from images/Dockerfile with the server package of `server`."""

    server: Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{0,62}$")]
    """Folder of images/servers/ holding the server's package.json and lockfile."""


class Bridge(SpecModel):
    """How the suite's bridge (images/bridge) serves a stdio server over streamable HTTP.

    The bridge starts the server once per replica and relays every session to that one process.
    """

    args: list[str] = Field(default_factory=list)
    """Arguments of the server, after its command. The command itself is not declared here: it is the one server
    package of the image's folder (images/servers/<build.server>/package.json), at the version the folder pins.
    Plain words: the server runs without a shell."""
    serialize_calls: bool = False
    """The server is not safe for concurrent calls (it rewrites a file per call, say): the bridge hands it one
    request at a time, so no acknowledged write is lost to a call that read the file before it."""
    session_timeout_seconds: Annotated[int, Field(ge=1, le=86400)] = 1800
    """A session with no request and no open stream for this long is ended, as if the client had sent DELETE."""
    max_sessions: Annotated[int, Field(ge=1, le=100000)] = 200
    """Open sessions per replica; beyond it, new sessions get 503 until one ends or is reaped."""

    @field_validator("args")
    @classmethod
    def _plain_words(cls, value: list[str]) -> list[str]:
        for word in value:
            if not word or SHELL_SYNTAX.search(word):
                raise ValueError(
                    f"{word!r} is not a plain word: the server runs without a shell, so give each argument on its "
                    "own, without spaces, quotes or shell syntax"
                )
        return value


class EgressRule(SpecModel):
    """One destination outside the suite a service may open connections to; nothing else is reachable.

    Exactly one of `host` or `cidr`. How a host name is enforced depends on the target (docs/network.md):
    Kubernetes NetworkPolicy cannot match names, so a `host` rule opens the public internet (every address
    outside the private, shared, loopback and link-local ranges) on its ports only.
    """

    host: str | None = None
    """DNS name, for example `api.example.com`."""
    cidr: str | None = None
    """Network in CIDR notation, for example `10.0.0.0/8` (a private range reaches whatever lives there)."""
    ports: Annotated[list[Annotated[int, Field(ge=1, le=65535)]], Field(min_length=1)]
    """Destination ports."""
    protocol: Literal["TCP", "UDP"] = "TCP"
    """Transport protocol of the ports."""

    @field_validator("host")
    @classmethod
    def _host_name(cls, value: str | None) -> str | None:
        return None if value is None else validate_host_name(value)

    @field_validator("cidr")
    @classmethod
    def _network(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            network = ipaddress.ip_network(value, strict=False)
        except ValueError:
            raise ValueError(f"'{value}' is not a CIDR network; write it as 10.0.0.0/8 or 2001:db8::/32") from None
        if str(network) != value:
            raise ValueError(f"'{value}' is not a network address; write {network}")
        return value

    @model_validator(mode="after")
    def _host_or_cidr(self) -> EgressRule:
        if (self.host is None) == (self.cidr is None):
            raise ValueError("set exactly one of `host` or `cidr`")
        if len(set(self.ports)) != len(self.ports):
            raise ValueError(f"ports {self.ports} repeat a port")
        return self

    @property
    def destination(self) -> str:
        return self.host or str(self.cidr)


BRIDGE_METRICS_PATH = "/metrics"
"""Where the bridge serves its metrics (the OpenTelemetry MCP `mcp_server_operation_duration` histogram), on the
service's port."""


class MetricsEndpoint(SpecModel):
    """Where a service exposes Prometheus metrics. A service behind the bridge has one without declaring it: the
    bridge serves its OpenTelemetry MCP metrics at `BRIDGE_METRICS_PATH` on the service's port."""

    port: Annotated[int, Field(ge=1, le=65535)]
    """Port of the metrics endpoint; may equal the service port."""
    path: Annotated[str, Field(pattern=r"^/[^\s]*$")] = "/metrics"
    """HTTP path of the metrics endpoint."""


# Through a lambda: the validator is defined further down, with the other image-reference helpers.
PinnedImage = Annotated[str, AfterValidator(lambda value: validate_image_reference(value))]
"""An image reference pinned by a version tag or an @sha256 digest (see `validate_image_reference`)."""


class ServiceSpec(SpecModel):
    """One MCP server of the catalog."""

    name: str
    """DNS-label name; becomes the container, workload, Service and route name."""
    image: PinnedImage | None = None
    """Container image pinned by tag or digest (`latest` and untagged images are rejected); or `build`."""
    build: ImageBuild | None = None
    """The suite builds the image (images/): locally on Docker, pushed to `images.registry` and deployed by
    digest elsewhere. Exactly one of `image` and `build`."""
    transport: Transport
    """What the server speaks; `stdio` servers run behind `bridge` and are reached over streamable HTTP."""
    port: Annotated[int, Field(ge=1, le=65535)]
    """The one port the container listens on."""
    health_path: Annotated[str, Field(pattern=r"^/[^\s]*$")] = "/healthz"
    """HTTP path answering 200 when the server is healthy; probes, health checks and blackbox probes use it."""
    mcp_path: Annotated[str, Field(pattern=r"^/[^\s]*$")] = "/mcp"
    """HTTP path of the MCP endpoint inside the container."""
    tier: Tier = "small"
    """Size tier: CPU and memory requests and limits."""
    stateful: bool = False
    """Stateful services keep data on volumes: one replica, a StatefulSet, protected storage in prod."""
    run_as_user: Annotated[int, Field(ge=1, le=2**31 - 1)] = DEFAULT_UID
    """Non-root UID (and GID) the container runs as."""
    args: list[str] | None = None
    """Arguments for the image's entrypoint (for example to select the HTTP transport); not for stdio servers."""
    bridge: Bridge | None = None
    """Required for `stdio` servers, forbidden otherwise; the bridge is part of the images the suite builds."""
    dev_source: Annotated[str, Field(min_length=1)] | None = None
    """Hot reload, dev stack only: a local checkout of the server package (its package.json at the top, its
    dependencies installed), absolute or relative to the project directory. It is mounted read-only over the
    image's copy, and the bridge restarts the server whenever a file in it changes."""
    docker_healthcheck: list[str] | None = None
    """Docker health check command (`CMD ...`); defaults to the suite image's Node.js check of the health path."""
    env: dict[str, str] = Field(default_factory=dict)
    """Plain environment variables."""
    secret_env: list[str] = Field(default_factory=list)
    """Names of environment variables whose values come from the `serviceSecrets` config secret."""
    volumes: list[VolumeMount] = Field(default_factory=list)
    """Suite volumes mounted into the container."""
    replicas: Replicas = Field(default_factory=Replicas)
    """Replica bounds."""
    sessions: Sessions = "stateful"
    """Where MCP sessions live (see `Sessions`); only `stateless` and `shared` services may run several replicas.
    For stdio servers it sets the bridge's mode (`stateless`: no session ids, every request stands alone)."""
    egress: list[EgressRule] = Field(default_factory=list)
    """Destinations outside the suite the service needs; none means it reaches only DNS and services it calls."""
    callers: list[str] = Field(default_factory=list)
    """Names of the catalog's services allowed to call this one (besides the gateway and monitoring)."""
    metrics: MetricsEndpoint | None = None
    """Prometheus metrics of the service (for example `mcp_task_queue_depth`), scraped by the monitoring stack.
    Default: the bridge's endpoint (`BRIDGE_METRICS_PATH` on `port`) for a service behind the bridge, else none."""

    @model_validator(mode="wrap")
    @classmethod
    def _bridge_metrics(cls, data: object, handler: ModelWrapValidatorHandler[ServiceSpec]) -> ServiceSpec:
        # Filled in once the spec is valid (a wrong `port` is reported once, as `port`), so every reader (scrape
        # jobs, ServiceMonitors, Service ports) sees one value.
        spec = handler(data)
        if spec.bridge is None or spec.metrics is not None:
            return spec
        return spec.model_copy(update={"metrics": MetricsEndpoint(port=spec.port, path=BRIDGE_METRICS_PATH)})

    @field_validator("name")
    @classmethod
    def _dns_label(cls, value: str) -> str:
        if not SERVICE_NAME.match(value):
            raise ValueError(
                f"'{value}' is not a valid service name; use 1-32 lowercase letters, digits and '-', "
                "starting with a letter"
            )
        if value in RESERVED_SERVICE_NAMES:
            raise ValueError(f"'{value}' is reserved for {RESERVED_SERVICE_NAMES[value]}; choose another name")
        return value

    @field_validator("env")
    @classmethod
    def _env_names(cls, value: dict[str, str]) -> dict[str, str]:
        for key in value:
            if not ENV_NAME.match(key):
                raise ValueError(f"'{key}' is not a valid environment variable name")
        return value

    @field_validator("secret_env")
    @classmethod
    def _secret_env_names(cls, value: list[str]) -> list[str]:
        for key in value:
            if not ENV_NAME.match(key):
                raise ValueError(f"'{key}' is not a valid environment variable name")
        if len(set(value)) != len(value):
            raise ValueError("names must be unique")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> ServiceSpec:
        problems: list[str] = []
        if (self.image is None) == (self.build is None):
            problems.append("set exactly one of `image` (a published image) and `build` (an image the suite builds)")
        if self.transport == "stdio" and self.bridge is None:
            problems.append("a stdio server needs `bridge` (`bridge: {}` for the defaults) to be reachable over HTTP")
        if self.bridge is not None and self.build is None:
            problems.append(
                "a stdio server runs behind the bridge, which only the suite's own images hold; set `build`"
            )
        if self.dev_source is not None and self.bridge is None:
            problems.append("`devSource` reloads a stdio server behind the bridge; this service has no bridge")
        if self.bridge is not None and self.args is not None:
            problems.append("`args` and `bridge` exclude each other: the bridge builds the arguments")
        if self.transport != "stdio" and self.bridge is not None:
            problems.append(f"`bridge` is only for stdio servers, not {self.transport}")
        if self.sessions == "stateful" and self.replicas.max > 1:
            problems.append(
                f"max {self.replicas.max} replicas, but `sessions: stateful` keeps each MCP session in one "
                "replica's memory and the initialize request carries no session id to route by; set `sessions: "
                "stateless` (the server keeps no per-session state) or `shared` (a session store "
                "every replica reads), or replicas max 1"
            )
        bridge_metrics = MetricsEndpoint(port=self.port, path=BRIDGE_METRICS_PATH)
        if self.bridge is not None and self.metrics not in (None, bridge_metrics):
            problems.append(
                f"a service behind the bridge is scraped where the bridge serves its metrics (port {self.port}, "
                f"path {BRIDGE_METRICS_PATH}); remove `metrics`"
            )
        if self.bridge is not None and BRIDGE_METRICS_PATH in (self.mcp_path, self.health_path):
            problems.append(
                f"the bridge serves its metrics at {BRIDGE_METRICS_PATH}; choose other MCP and health paths"
            )
        if self.bridge is not None and self.sessions == "shared":
            problems.append("the stdio bridge keeps sessions in memory (`stateful`) or issues none (`stateless`)")
        if self.stateful and self.replicas.max != 1:
            problems.append(
                "a stateful service runs exactly one replica; "
                f"set replicas to min 1, max 1 (got max {self.replicas.max})"
            )
        overlap = set(self.env) & set(self.secret_env)
        if overlap:
            problems.append(f"{sorted(overlap)} declared in both env and secretEnv")
        if self.name in self.callers:
            problems.append("a service does not list itself in `callers`")
        if len(set(self.callers)) != len(self.callers):
            problems.append("`callers` repeats a service")
        paths = [mount.mount_path for mount in self.volumes]
        if len(set(paths)) != len(paths):
            problems.append("two volumes are mounted at the same path")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @property
    def resources(self) -> Resources:
        return TIER_RESOURCES[self.tier]

    @property
    def autoscaled(self) -> bool:
        """Stateless services get an autoscaler and a disruption budget."""
        return not self.stateful

    @property
    def multi_replica(self) -> bool:
        """More than one pod may serve it."""
        return self.replicas.max > 1

    @property
    def hashes_sessions(self) -> bool:
        """Several pods share its sessions: the gateway keeps each session's requests on one pod by its id.

        Not for `stateless` services: they send no session id, and a hash of the empty header would send
        every request to the same pod."""
        return self.multi_replica and self.sessions == "shared"


def split_image_reference(value: str) -> tuple[str, str | None, str | None]:
    """Split `registry/repository[:tag][@digest]` into its parts; raise ValueError if malformed."""
    name, _, digest = value.partition("@")
    repository, tag = name, None
    last_segment = name.rsplit("/", 1)[-1]
    if ":" in last_segment:
        repository, tag = name.rsplit(":", 1)
    if not REPOSITORY.match(repository) or (tag is not None and not TAG.match(tag)):
        raise ValueError(f"'{value}' is not a valid image reference (expected registry/repository:tag or @sha256:...)")
    if digest and not DIGEST.match(digest):
        raise ValueError(f"'{value}' has a malformed digest; expected @sha256: and 64 hex digits")
    return repository, tag, digest or None


def validate_host_name(value: str) -> str:
    """Return `value` if it is a lowercase DNS name of at most 253 characters."""
    if len(value) > 253 or not HOST_NAME.match(value):
        raise ValueError(f"'{value}' is not a host name; use a lowercase DNS name such as api.example.com")
    return value


def validate_image_reference(value: str) -> str:
    """Return `value` if it is pinned by a tag other than `latest` or by a sha256 digest."""
    _, tag, digest = split_image_reference(value)
    if tag is None and digest is None:
        raise ValueError(f"'{value}' is not pinned; add a version tag or an @sha256 digest")
    if tag == "latest":
        raise ValueError(f"'{value}' uses the moving tag 'latest'; pin a version tag or an @sha256 digest")
    return value
