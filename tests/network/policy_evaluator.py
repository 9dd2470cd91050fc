"""A small, independent evaluator of Kubernetes NetworkPolicy semantics over plain manifests.

It answers "may this connection be opened?" the way the API documents it, and knows nothing about how the suite
renders its policies:

- A pod is isolated for a direction when at least one policy of its namespace selects it and lists that direction
  in `policyTypes` (absent `policyTypes` means Ingress, plus Egress when the policy has egress rules).
- A connection is allowed when the source's egress and the destination's ingress both allow it. Pods in
  namespaces without policies, and addresses outside the cluster, are not isolated.
- Policies are additive: a direction is allowed when any rule of any selecting policy matches.
- A rule matches when one of its peers matches (no `from`/`to` means every peer) and one of its ports matches
  (no `ports` means every port). A peer is an `ipBlock` (cidr minus except, matched against any address,
  pods included: the conservative reading), or pod and/or namespace selectors; a pod selector alone means the
  policy's own namespace. A port has a protocol (default TCP), a number or a container port name, and `endPort`.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

Edge = tuple[str, str, str, int]
"""(source, destination, protocol, port)."""


@dataclass(frozen=True)
class Pod:
    name: str
    namespace: str
    labels: Mapping[str, str]
    ip: str
    named_ports: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class External:
    """An address outside the cluster."""

    name: str
    ip: str


Endpoint = Pod | External


def selector_matches(selector: Mapping[str, Any] | None, labels: Mapping[str, str]) -> bool:
    """LabelSelector semantics: an empty selector matches everything; a missing one is handled by the caller."""
    selector = selector or {}
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expression in selector.get("matchExpressions") or []:
        key, operator, values = expression["key"], expression["operator"], expression.get("values") or []
        if operator == "In" and labels.get(key) not in values:
            return False
        if operator == "NotIn" and key in labels and labels[key] in values:
            return False
        if operator == "Exists" and key not in labels:
            return False
        if operator == "DoesNotExist" and key in labels:
            return False
    return True


class Cluster:
    def __init__(self, namespaces: Mapping[str, Mapping[str, str]], pods: Sequence[Pod]) -> None:
        self.namespace_labels = namespaces
        self.pods = list(pods)

    def _ip_in_block(self, ip: str, block: Mapping[str, Any]) -> bool:
        address = ipaddress.ip_address(ip)
        network = ipaddress.ip_network(block["cidr"])
        if address.version != network.version or address not in network:
            return False
        return not any(
            address in ipaddress.ip_network(excluded)
            for excluded in block.get("except") or []
            if ipaddress.ip_network(excluded).version == address.version
        )

    def _peer_matches(self, peer: Mapping[str, Any], policy_namespace: str, other: Endpoint) -> bool:
        if "ipBlock" in peer:
            return self._ip_in_block(other.ip, peer["ipBlock"])
        if not isinstance(other, Pod):
            return False
        if "namespaceSelector" in peer:
            namespace_ok = selector_matches(peer["namespaceSelector"], self.namespace_labels[other.namespace])
        else:
            namespace_ok = other.namespace == policy_namespace
        pod_ok = "podSelector" not in peer or selector_matches(peer["podSelector"], other.labels)
        return namespace_ok and pod_ok

    @staticmethod
    def _port_matches(
        rule_ports: Sequence[Mapping[str, Any]] | None, target: Endpoint, protocol: str, port: int
    ) -> bool:
        if not rule_ports:
            return True
        for item in rule_ports:
            if item.get("protocol", "TCP") != protocol:
                continue
            wanted = item.get("port")
            if wanted is None:
                return True
            if isinstance(wanted, str):
                named = target.named_ports.get(wanted) if isinstance(target, Pod) else None
                if named == port:
                    return True
                continue
            if wanted <= port <= item.get("endPort", wanted):
                return True
        return False

    def _direction_allows(
        self,
        policies: Iterable[Mapping[str, Any]],
        subject: Pod,
        other: Endpoint,
        direction: str,
        target: Endpoint,
        protocol: str,
        port: int,
    ) -> bool:
        rules_key, peers_key = ("ingress", "from") if direction == "Ingress" else ("egress", "to")
        isolated = False
        for policy in policies:
            namespace = policy["metadata"]["namespace"]
            spec = policy["spec"]
            if namespace != subject.namespace or not selector_matches(spec.get("podSelector"), subject.labels):
                continue
            types = spec.get("policyTypes") or (["Ingress", "Egress"] if spec.get("egress") else ["Ingress"])
            if direction not in types:
                continue
            isolated = True
            for rule in spec.get(rules_key) or []:
                peers = rule.get(peers_key)
                peer_ok = not peers or any(self._peer_matches(peer, namespace, other) for peer in peers)
                if peer_ok and self._port_matches(rule.get("ports"), target, protocol, port):
                    return True
        return not isolated

    def allows(
        self, policies: Sequence[Mapping[str, Any]], source: Endpoint, destination: Endpoint, protocol: str, port: int
    ) -> bool:
        egress_ok = not isinstance(source, Pod) or self._direction_allows(
            policies, source, destination, "Egress", destination, protocol, port
        )
        ingress_ok = not isinstance(destination, Pod) or self._direction_allows(
            policies, destination, source, "Ingress", destination, protocol, port
        )
        return egress_ok and ingress_ok


def reachability(
    cluster: Cluster,
    externals: Sequence[External],
    policies: Sequence[Mapping[str, Any]],
    governed_namespace: str,
    ports: Iterable[int],
) -> set[Edge]:
    """Every allowed (source, destination, protocol, port) where the source or the destination is a pod of
    `governed_namespace`, over the given ports, TCP and UDP."""
    endpoints: list[Endpoint] = [*cluster.pods, *externals]
    probe_ports = sorted(set(ports))
    edges: set[Edge] = set()
    for source in endpoints:
        for destination in endpoints:
            if source is destination:
                continue
            governed = any(
                isinstance(end, Pod) and end.namespace == governed_namespace for end in (source, destination)
            )
            if not governed:
                continue
            for protocol in ("TCP", "UDP"):
                for port in probe_ports:
                    if cluster.allows(policies, source, destination, protocol, port):
                        edges.add((source.name, destination.name, protocol, port))
    return edges
