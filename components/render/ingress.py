"""Pure renderers of the suite's Kubernetes Ingresses (ingress-nginx): one per service, plus one for the certificate.

The public contract, shared with the edge: `https://<ingress host>/<service>/mcp` reaches the service's own
`mcpPath`; nothing else of a service (health, metrics) is routed from outside.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from components.render.kubernetes_workload import PORT_NAME
from components.spec import ServiceSpec

if TYPE_CHECKING:
    from pulumi_kubernetes.networking.v1 import IngressSpecArgsDict, IngressTLSArgsDict

NGINX = "nginx.ingress.kubernetes.io"
CLUSTER_ISSUER_ANNOTATION = "cert-manager.io/cluster-issuer"
SESSION_HASH_KEY = "$http_mcp_session_id"
"""nginx variable of the `Mcp-Session-Id` request header: the key that pins a session to one pod."""


@dataclass(frozen=True)
class IngressOptions:
    """Settings shared by every Ingress of the suite."""

    host: str
    """Public hostname served (the edge's origin)."""
    ingress_class: str
    """IngressClass of the controller."""
    tls_secret: str
    """TLS Secret holding the host's certificate."""
    body_limit: str
    """Largest request body, nginx size syntax."""
    stream_timeout_seconds: int
    """Read and send timeout towards the service: how long a quiet SSE stream stays open."""


def public_path(spec: ServiceSpec) -> str:
    return f"/{spec.name}/mcp"


def service_annotations(spec: ServiceSpec, options: IngressOptions) -> dict[str, str]:
    timeout = str(options.stream_timeout_seconds)
    annotations = {
        f"{NGINX}/proxy-body-size": options.body_limit,
        f"{NGINX}/proxy-read-timeout": timeout,
        f"{NGINX}/proxy-send-timeout": timeout,
        # SSE events must reach the client as they are written, not when a buffer fills.
        f"{NGINX}/proxy-buffering": "off",
        f"{NGINX}/ssl-redirect": "true",
        # The regex path is anchored so that only the MCP endpoint itself is public.
        f"{NGINX}/use-regex": "true",
        f"{NGINX}/rewrite-target": spec.mcp_path,
    }
    if spec.hashes_sessions:
        # Several pods share the sessions; hashing the session header (not the client address, which many clients
        # behind one NAT share) keeps a session's requests, open streams and resumption on one pod.
        annotations[f"{NGINX}/upstream-hash-by"] = SESSION_HASH_KEY
    return dict(sorted(annotations.items()))


def _tls(options: IngressOptions) -> list[IngressTLSArgsDict]:
    return [{"hosts": [options.host], "secret_name": options.tls_secret}]


def service_ingress_spec(spec: ServiceSpec, options: IngressOptions) -> IngressSpecArgsDict:
    return {
        "ingress_class_name": options.ingress_class,
        "tls": _tls(options),
        "rules": [
            {
                "host": options.host,
                "http": {
                    "paths": [
                        {
                            "path": f"{public_path(spec)}$",
                            "path_type": "ImplementationSpecific",
                            "backend": {"service": {"name": spec.name, "port": {"name": PORT_NAME}}},
                        }
                    ]
                },
            }
        ],
    }


def certificate_annotations(cluster_issuer: str | None) -> dict[str, str]:
    return {CLUSTER_ISSUER_ANNOTATION: cluster_issuer} if cluster_issuer else {}


def certificate_ingress_spec(options: IngressOptions) -> IngressSpecArgsDict:
    """The host's TLS block alone. cert-manager's ingress-shim owns one Certificate per Secret, so exactly one
    Ingress carries the issuer annotation, independent of which services exist."""
    return {"ingress_class_name": options.ingress_class, "tls": _tls(options), "rules": [{"host": options.host}]}
