"""The `network` section: the gateway, its TLS, and the pods of other namespaces that the policies let in."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from components.render.gateway_api import OriginLock, proxy_pod_labels
from components.spec import PinnedImage, SpecModel
from infra.settings.patterns import DNS_LABEL, HostName, LabelMap


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


# A published cloudflared release (Workers VPC needs 2025.7.0 or newer).
DEFAULT_CLOUDFLARED_IMAGE = "docker.io/cloudflare/cloudflared:2026.9.1"


class TunnelSettings(SpecModel):
    """The tunnel's connectors (cloudflared) in the suite's namespace, for `originLock: tunnel`."""

    image: PinnedImage = DEFAULT_CLOUDFLARED_IMAGE
    """cloudflared image, pinned by tag or digest (2025.7.0 or newer: Workers VPC needs it)."""
    replicas: Annotated[int, Field(ge=1, le=10)] = 2
    """Connectors; with two or more, one restarts while the others keep the edge's way in open."""


class NetworkSettings(SpecModel):
    """Gateway, TLS and network isolation; see docs/network.md."""

    gateway_class: Annotated[str, Field(pattern=DNS_LABEL)] = "eg"
    """GatewayClass of the Envoy Gateway installation (its quickstart names it `eg`)."""
    gateway_namespace: Annotated[str, Field(pattern=DNS_LABEL)] = "envoy-gateway-system"
    """Namespace Envoy Gateway runs the Gateway's proxies and their Service in (its own namespace unless it is set
    to deploy them beside each Gateway)."""
    ingress_host: HostName | None = None
    """Hostname the Gateway serves (the edge's origin); required on Kubernetes."""
    origin_lock: OriginLock = "tunnel"
    """With the edge: how the origin refuses requests that did not come through it."""
    tunnel: TunnelSettings = Field(default_factory=TunnelSettings)
    """The tunnel's connectors (with `originLock: tunnel` and the edge)."""
    tls: IngressTls = Field(default_factory=IngressTls)
    """Certificate of `ingressHost`."""
    body_limit: Annotated[str, Field(pattern=r"^[1-9][0-9]*[kmg]?$")] = "8m"
    """Largest request body the gateway accepts (512k, 8m, 1g: binary multiples); bigger ones get 413."""
    stream_timeout_seconds: Annotated[int, Field(ge=60, le=86400)] = 3600
    """How long a request, and a quiet stream (SSE), may last through the gateway."""
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

    def gateway_pods(self, namespace: str) -> PodSelection:
        """The proxy pods Envoy Gateway runs for the suite's Gateway in `namespace`: the entry to the services."""
        return PodSelection(namespace=self.gateway_namespace, pod_labels=dict(proxy_pod_labels(namespace)))

    @property
    def prometheus(self) -> PodSelection:
        return PodSelection(namespace=self.monitoring_namespace, pod_labels=self.prometheus_pod_labels)

    @property
    def blackbox_exporter(self) -> PodSelection:
        return PodSelection(namespace=self.monitoring_namespace, pod_labels=self.blackbox_exporter_pod_labels)
