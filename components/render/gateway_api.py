"""Pure renderers of the suite's entrance on Kubernetes: Gateway API objects, implemented by Envoy Gateway.

One Gateway with one HTTPS listener on the origin host, one HTTPRoute per service, and Envoy Gateway's policies
for what the Gateway API leaves to the implementation: stream idle timeouts, client certificates (the mTLS origin
lock), the request body limit and hashing on `Mcp-Session-Id`. The public contract is the one the edge forwards
to: `https://<host>/<service>/mcp` reaches the service's own `mcpPath`; nothing else of a service is routed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import yaml

from components.spec import ServiceSpec

GATEWAY_API = "gateway.networking.k8s.io"
ENVOY_GATEWAY = "gateway.envoyproxy.io"
GATEWAY_NAME = "mcp"
"""The suite's Gateway in its namespace; Envoy Gateway labels the proxy pods with it."""
ENVOY_PROXY_NAME = "mcp-gateway"
LISTENER = "https"
HTTPS_PORT = 443
CLIENT_CA_CONFIG_MAP = "origin-client-ca"
"""ConfigMap (key `ca.crt`) of the CA whose client certificates the gateway accepts under the mTLS lock."""
CLIENT_CA_KEY = "ca.crt"
CLUSTER_ISSUER_ANNOTATION = "cert-manager.io/cluster-issuer"
SESSION_HEADER = "Mcp-Session-Id"
OWNING_GATEWAY_NAME_LABEL = "gateway.envoyproxy.io/owning-gateway-name"
OWNING_GATEWAY_NAMESPACE_LABEL = "gateway.envoyproxy.io/owning-gateway-namespace"
"""Labels Envoy Gateway puts on the proxy pods of a Gateway: how NetworkPolicies select exactly them."""

OriginLock = Literal["tunnel", "mtls"]
"""How the gateway refuses everything that did not come through the edge (docs/network.md):
`tunnel`: the proxies' Service is a ClusterIP, reached only from inside the cluster (the tunnel's connector);
`mtls`: a public LoadBalancer that requires a client certificate only the worker holds."""


@dataclass(frozen=True)
class GatewayOptions:
    """Everything the entrance's objects depend on besides the catalog."""

    host: str
    """Hostname the listener answers: the edge's origin host."""
    gateway_class: str
    """GatewayClass of the Envoy Gateway installation."""
    tls_secret: str
    """TLS Secret (in the suite's namespace) holding the host's certificate."""
    body_limit: str
    """Largest request body: a size like `512k`, `8m`, `1g` (the `network.bodyLimit` syntax)."""
    stream_timeout_seconds: int
    """How long a request, and a quiet stream, may last."""
    origin_lock: OriginLock | None
    """The lock in front of the gateway; None (no edge): a public LoadBalancer anyone may call."""
    service_name: str
    """Name of the proxies' Service, fixed so the tunnel can name its destination."""
    latency_buckets_ms: Sequence[float]
    """Bounds of Envoy's request duration histograms, in milliseconds: the ones the latency SLOs count under."""


def public_path(spec: ServiceSpec) -> str:
    return f"/{spec.name}/mcp"


def kubernetes_quantity(size: str) -> str:
    """`network.bodyLimit` (512k, 8m, 1g: binary multiples) as a Kubernetes quantity: 8m -> 8Mi."""
    suffix = size[-1]
    units = {"k": "Ki", "m": "Mi", "g": "Gi"}
    return size[:-1] + units[suffix] if suffix in units else size


def _duration(seconds: int) -> str:
    return f"{seconds}s"


def gateway_spec(options: GatewayOptions) -> dict[str, Any]:
    return {
        "gatewayClassName": options.gateway_class,
        "infrastructure": {
            "parametersRef": {"group": ENVOY_GATEWAY, "kind": "EnvoyProxy", "name": ENVOY_PROXY_NAME},
        },
        "listeners": [
            {
                "name": LISTENER,
                "protocol": "HTTPS",
                "port": HTTPS_PORT,
                "hostname": options.host,
                "tls": {"mode": "Terminate", "certificateRefs": [{"kind": "Secret", "name": options.tls_secret}]},
                # Routes of other namespaces cannot attach to the suite's entrance.
                "allowedRoutes": {"namespaces": {"from": "Same"}},
            }
        ],
    }


def gateway_annotations(cluster_issuer: str | None) -> dict[str, str]:
    """cert-manager's Gateway support issues the listener's certificate into its Secret when annotated."""
    return {CLUSTER_ISSUER_ANNOTATION: cluster_issuer} if cluster_issuer else {}


def http_route_spec(spec: ServiceSpec, options: GatewayOptions) -> dict[str, Any]:
    return {
        "parentRefs": [{"name": GATEWAY_NAME, "sectionName": LISTENER}],
        "hostnames": [options.host],
        "rules": [
            {
                # Exact: only the MCP endpoint itself is public, never health or metrics paths.
                "matches": [{"path": {"type": "Exact", "value": public_path(spec)}}],
                "filters": [
                    {
                        "type": "URLRewrite",
                        "urlRewrite": {"path": {"type": "ReplaceFullPath", "replaceFullPath": spec.mcp_path}},
                    }
                ],
                "backendRefs": [{"name": spec.name, "port": spec.port}],
                # An SSE stream is one request: it may last as long as the stream timeout, no longer.
                "timeouts": {"request": _duration(options.stream_timeout_seconds)},
            }
        ],
    }


def _target(kind: str, name: str) -> dict[str, str]:
    return {"group": GATEWAY_API, "kind": kind, "name": name}


def client_traffic_policy_spec(options: GatewayOptions) -> dict[str, Any]:
    """Timeouts of the client side, and under the mTLS lock the client certificate every connection needs."""
    timeout = _duration(options.stream_timeout_seconds)
    spec: dict[str, Any] = {
        "targetRefs": [_target("Gateway", GATEWAY_NAME)],
        # Envoy closes a stream silent for 5 minutes by default; a quiet SSE stream must stay open.
        "timeout": {"http": {"idleTimeout": timeout, "streamIdleTimeout": timeout}},
    }
    if options.origin_lock == "mtls":
        # Only TLS clients with a certificate of the CA in CLIENT_CA_CONFIG_MAP: the worker.
        spec["tls"] = {
            "clientValidation": {
                "mode": "RequireAndVerify",
                "caCertificateRefs": [{"kind": "ConfigMap", "name": CLIENT_CA_CONFIG_MAP}],
            }
        }
    return spec


def backend_traffic_policy_spec(spec: ServiceSpec, options: GatewayOptions) -> dict[str, Any]:
    """The body limit (bigger bodies get 413) and, for sessions several pods share, hashing on the session id."""
    policy: dict[str, Any] = {
        "targetRefs": [_target("HTTPRoute", spec.name)],
        # MCP request bodies are whole JSON-RPC messages; only the responses stream, and they are not buffered.
        "requestBuffer": {"limit": kubernetes_quantity(options.body_limit)},
    }
    if spec.hashes_sessions:
        # Hashing the session header, not the client address (every request arrives from the edge), keeps a
        # 2025 session's requests, open streams and resumption on one pod. 2026-07-28 requests carry no session
        # id: Envoy's consistent-hash balancers draw a random hash for a request that yields none, so they spread
        # over the pods like any stateless service's.
        policy["loadBalancer"] = {
            "type": "ConsistentHash",
            "consistentHash": {"type": "Headers", "headers": [{"name": SESSION_HEADER}]},
        }
    return policy


def envoy_proxy_spec(options: GatewayOptions) -> dict[str, Any]:
    bootstrap = {
        "stats_config": {
            "histogram_bucket_settings": [
                {"match": {"prefix": "cluster."}, "buckets": list(options.latency_buckets_ms)},
            ]
        }
    }
    return {
        "provider": {
            "type": "Kubernetes",
            "kubernetes": {
                "envoyService": {
                    "name": options.service_name,
                    "type": "ClusterIP" if options.origin_lock == "tunnel" else "LoadBalancer",
                },
            },
        },
        # Envoy's default buckets lack 200 ms, one of the latency SLOs' bounds.
        "bootstrap": {"type": "Merge", "value": yaml.safe_dump(bootstrap, sort_keys=True)},
    }


def proxy_pod_labels(namespace: str) -> Mapping[str, str]:
    """Labels of exactly the proxy pods Envoy Gateway runs for the suite's Gateway."""
    return {OWNING_GATEWAY_NAME_LABEL: GATEWAY_NAME, OWNING_GATEWAY_NAMESPACE_LABEL: namespace}


def client_ca_data(ca_certificate_pem: str) -> dict[str, str]:
    return {CLIENT_CA_KEY: ca_certificate_pem}
