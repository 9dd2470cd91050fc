"""The evaluator itself, on small hand-written policies whose answers the NetworkPolicy documentation gives."""

from __future__ import annotations

from typing import Any

import pytest

from tests.network.policy_evaluator import Cluster, External, Pod

WEB = Pod("web", "app", {"role": "web"}, "10.244.0.1", {"http": 8080})
DB = Pod("db", "app", {"role": "db"}, "10.244.0.2", {"pg": 5432})
OTHER = Pod("other", "tools", {"role": "web"}, "10.244.1.1")
INTERNET = External("internet", "93.184.216.34")
CLUSTER = Cluster(
    {"app": {"kubernetes.io/metadata.name": "app"}, "tools": {"kubernetes.io/metadata.name": "tools"}}, [WEB, DB, OTHER]
)


def policy(spec: dict[str, Any]) -> dict[str, Any]:
    return {"metadata": {"namespace": "app", "name": "p"}, "spec": spec}


DB_FROM_WEB = policy(
    {
        "podSelector": {"matchLabels": {"role": "db"}},
        "ingress": [{"from": [{"podSelector": {"matchLabels": {"role": "web"}}}], "ports": [{"port": "pg"}]}],
    }
)


@pytest.mark.parametrize(
    ("policies", "source", "destination", "protocol", "port", "allowed"),
    [
        ([], OTHER, DB, "TCP", 5432, True),  # no policy: not isolated
        ([DB_FROM_WEB], WEB, DB, "TCP", 5432, True),  # named port resolved on the destination
        ([DB_FROM_WEB], WEB, DB, "TCP", 5433, False),
        ([DB_FROM_WEB], WEB, DB, "UDP", 5432, False),  # protocol defaults to TCP
        ([DB_FROM_WEB], OTHER, DB, "TCP", 5432, False),  # a pod selector alone means the policy's namespace
        ([DB_FROM_WEB], WEB, INTERNET, "TCP", 443, True),  # no policyTypes and no egress rules: egress open
        (
            [policy({"podSelector": {}, "policyTypes": ["Egress"]})],
            WEB,
            INTERNET,
            "TCP",
            443,
            False,
        ),
        (
            [
                policy(
                    {
                        "podSelector": {"matchExpressions": [{"key": "role", "operator": "In", "values": ["web"]}]},
                        "policyTypes": ["Egress"],
                        "egress": [
                            {
                                "to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["93.184.0.0/16"]}}],
                                "ports": [{"port": 400, "endPort": 500}],
                            }
                        ],
                    }
                )
            ],
            WEB,
            INTERNET,
            "TCP",
            443,
            False,
        ),
        (
            [
                policy(
                    {
                        "podSelector": {"matchLabels": {"role": "web"}},
                        "policyTypes": ["Egress"],
                        "egress": [
                            {"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}], "ports": [{"port": 400, "endPort": 500}]}
                        ],
                    }
                )
            ],
            WEB,
            INTERNET,
            "TCP",
            443,
            True,
        ),
        (
            [
                policy(
                    {
                        "podSelector": {"matchLabels": {"role": "db"}},
                        "ingress": [
                            {"from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "tools"}}}]}
                        ],
                    }
                )
            ],
            OTHER,
            DB,
            "UDP",
            9,
            True,  # no ports: every port and protocol
        ),
    ],
)
def test_documented_semantics(
    policies: list[dict[str, Any]], source: Pod, destination: Pod | External, protocol: str, port: int, allowed: bool
) -> None:
    assert CLUSTER.allows(policies, source, destination, protocol, port) is allowed


def test_policies_are_additive() -> None:
    deny = policy({"podSelector": {}, "policyTypes": ["Ingress"]})
    assert not CLUSTER.allows([deny], WEB, DB, "TCP", 5432)
    assert CLUSTER.allows([deny, DB_FROM_WEB], WEB, DB, "TCP", 5432)
