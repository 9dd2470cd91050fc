"""Pure renderers of the suite's NetworkPolicies: deny everything, then allow per service what the catalog declares.

A service's pods accept connections from the gateway's proxies, from Prometheus and the blackbox exporter, and
from the services listed in its `callers`, on its port only. They open connections to the cluster DNS, to the
services that list them as a caller, and to the destinations of their `egress` declarations, nothing else.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from components.render.kubernetes_workload import selector_labels
from components.spec import EgressRule, ServiceSpec

if TYPE_CHECKING:
    from pulumi_kubernetes.networking.v1 import (
        NetworkPolicyEgressRuleArgsDict,
        NetworkPolicyIngressRuleArgsDict,
        NetworkPolicyPeerArgsDict,
        NetworkPolicyPortArgsDict,
        NetworkPolicySpecArgsDict,
    )

NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"
"""Label the API server sets on every namespace to its name, so a namespace can be selected by name."""
DNS_PORT = 53
TUNNEL_PORT = 7844
"""Port cloudflared connects to Cloudflare's edge on (QUIC over UDP, or HTTP/2 over TCP)."""
GATEWAY_PROXY_HTTPS_PORT = 10443
"""Container port of the gateway's HTTPS listener: Envoy Gateway shifts ports below 1024 up by 10000, so the
proxies need no capability to bind them, and policies match the pod's port, not the Service's."""

# NetworkPolicy matches addresses, not names. A `host` egress rule therefore opens the public internet on its
# ports: everything except the ranges where cluster, node, cloud-metadata and other private endpoints live.
PUBLIC_INTERNET: dict[str, tuple[str, ...]] = {
    "0.0.0.0/0": (
        "10.0.0.0/8",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "172.16.0.0/12",
        "192.168.0.0/16",
    ),
    "::/0": ("fc00::/7", "fe80::/10"),
}


@dataclass(frozen=True)
class ClusterPeer:
    """Pods of another namespace, selected by the namespace's name and the pods' labels."""

    namespace: str
    pod_labels: Mapping[str, str]


@dataclass(frozen=True)
class PolicyPeers:
    """Everything outside the suite's namespace that the policies name."""

    gateway: ClusterPeer
    """The gateway's proxy pods: the only entry from outside the namespace."""
    prometheus: ClusterPeer
    """Prometheus pods, scraping the services."""
    blackbox_exporter: ClusterPeer
    """Blackbox exporter pods, probing health paths."""
    dns: ClusterPeer
    """Cluster DNS pods."""


def metrics_port(spec: ServiceSpec) -> int:
    """Port Prometheus scrapes: the spec's `metrics` port (the service's own port behind the bridge), else the
    service's port."""
    return spec.metrics.port if spec.metrics is not None else spec.port


def default_deny_spec() -> NetworkPolicySpecArgsDict:
    """Selects every pod of the namespace for both directions with no rule: what is not allowed is denied."""
    return {"pod_selector": {}, "policy_types": ["Ingress", "Egress"]}


def callees_by_caller(catalog: Sequence[ServiceSpec]) -> dict[str, list[ServiceSpec]]:
    """For every service, the services of the catalog that list it as a caller, in name order."""
    callees: dict[str, list[ServiceSpec]] = {spec.name: [] for spec in catalog}
    for callee in sorted(catalog, key=lambda spec: spec.name):
        for caller in callee.callers:
            callees.setdefault(caller, []).append(callee)
    return callees


def service_policy_specs(
    catalog: Sequence[ServiceSpec], peers: PolicyPeers
) -> list[tuple[ServiceSpec, NetworkPolicySpecArgsDict]]:
    """Every service's policy, in catalog order; the catalog is indexed once, not scanned per service."""
    by_name = {spec.name: spec for spec in catalog}
    callees = callees_by_caller(catalog)
    return [(spec, service_policy_spec(spec, by_name, callees[spec.name], peers)) for spec in catalog]


def service_policy_spec(
    spec: ServiceSpec, by_name: Mapping[str, ServiceSpec], callees: Sequence[ServiceSpec], peers: PolicyPeers
) -> NetworkPolicySpecArgsDict:
    """Both directions of one service's pods: from its spec, its callers' specs (`by_name`) and the services it
    may call (`callees`, those that name it as a caller)."""
    ingress: list[NetworkPolicyIngressRuleArgsDict] = [
        {"from_": [_cluster_peer(peers.gateway)], "ports": [_tcp(spec.port)]},
        {"from_": [_cluster_peer(peers.prometheus)], "ports": [_tcp(metrics_port(spec))]},
        {"from_": [_cluster_peer(peers.blackbox_exporter)], "ports": [_tcp(spec.port)]},
    ]
    if spec.callers:
        ingress.append(
            {
                "from_": [_service_peer(by_name[caller]) for caller in sorted(spec.callers)],
                "ports": [_tcp(spec.port)],
            }
        )
    egress: list[NetworkPolicyEgressRuleArgsDict] = [_dns_rule(peers)]
    egress += [{"to": [_service_peer(callee)], "ports": [_tcp(callee.port)]} for callee in callees]
    egress += [_external_rule(rule) for rule in spec.egress]
    return {
        "pod_selector": {"match_labels": selector_labels(spec)},
        "policy_types": ["Ingress", "Egress"],
        "ingress": ingress,
        "egress": egress,
    }


def tunnel_connector_policy_spec(
    pod_labels: Mapping[str, str], metrics_port: int, peers: PolicyPeers
) -> NetworkPolicySpecArgsDict:
    """The tunnel's connector (cloudflared): nothing in but Prometheus on its metrics port; out to DNS, to
    Cloudflare's edge on the tunnel port, and to the gateway's proxies on their HTTPS port only."""
    # cloudflared resolves region1/region2.v2.argotunnel.com; a NetworkPolicy can only open their port.
    quic, http2 = (
        EgressRule(host="region1.v2.argotunnel.com", ports=[TUNNEL_PORT], protocol=p) for p in ("UDP", "TCP")
    )
    return {
        "pod_selector": {"match_labels": dict(sorted(pod_labels.items()))},
        "policy_types": ["Ingress", "Egress"],
        "ingress": [{"from_": [_cluster_peer(peers.prometheus)], "ports": [_tcp(metrics_port)]}],
        "egress": [
            _dns_rule(peers),
            # QUIC over UDP first; cloudflared falls back to HTTP/2 over TCP on the same port.
            _external_rule(quic),
            _external_rule(http2),
            {"to": [_cluster_peer(peers.gateway)], "ports": [_tcp(GATEWAY_PROXY_HTTPS_PORT)]},
        ],
    }


def repository_egress(repository: str) -> EgressRule:
    """The egress a restic `s3:<scheme>://<host>[:port]/<bucket>/...` repository needs: its host on its port."""
    url = urlsplit(repository.removeprefix("s3:"))
    port = url.port or (80 if url.scheme == "http" else 443)
    host = url.hostname or ""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return EgressRule(host=host, ports=[port])
    return EgressRule(cidr=str(ipaddress.ip_network(address)), ports=[port])


def backup_policy_spec(pod_labels: Mapping[str, str], repository: str, peers: PolicyPeers) -> NetworkPolicySpecArgsDict:
    """Backup job pods: nothing in, out only to DNS and their S3 repository (default deny blocks all else)."""
    return {
        "pod_selector": {"match_labels": dict(sorted(pod_labels.items()))},
        "policy_types": ["Ingress", "Egress"],
        "ingress": [],
        "egress": [_dns_rule(peers), _external_rule(repository_egress(repository))],
    }


def ip_blocks(rule: EgressRule) -> list[tuple[str, tuple[str, ...]]]:
    """(cidr, except) pairs an egress rule opens: its network, or the public internet for a host name."""
    if rule.cidr is not None:
        return [(rule.cidr, ())]
    return sorted(PUBLIC_INTERNET.items())


def _external_rule(rule: EgressRule) -> NetworkPolicyEgressRuleArgsDict:
    to: list[NetworkPolicyPeerArgsDict] = []
    for cidr, excluded in ip_blocks(rule):
        to.append({"ip_block": {"cidr": cidr, "except_": list(excluded)} if excluded else {"cidr": cidr}})
    return {"to": to, "ports": [{"protocol": rule.protocol, "port": port} for port in rule.ports]}


def _dns_rule(peers: PolicyPeers) -> NetworkPolicyEgressRuleArgsDict:
    return {
        "to": [_cluster_peer(peers.dns)],
        "ports": [{"protocol": "UDP", "port": DNS_PORT}, {"protocol": "TCP", "port": DNS_PORT}],
    }


def _cluster_peer(peer: ClusterPeer) -> NetworkPolicyPeerArgsDict:
    return {
        "namespace_selector": {"match_labels": {NAMESPACE_NAME_LABEL: peer.namespace}},
        "pod_selector": {"match_labels": dict(sorted(peer.pod_labels.items()))},
    }


def _service_peer(spec: ServiceSpec) -> NetworkPolicyPeerArgsDict:
    # No namespace selector: a peer with only a pod selector means pods of the policy's own namespace.
    return {"pod_selector": {"match_labels": selector_labels(spec)}}


def _tcp(port: int) -> NetworkPolicyPortArgsDict:
    return {"protocol": "TCP", "port": port}
