"""The backup jobs' egress follows their repository URL: a host name, or an address such as an in-cluster store."""

from __future__ import annotations

import pytest

from components.render.network_policy import repository_egress


@pytest.mark.parametrize(
    ("repository", "destination", "ports"),
    [
        ("s3:https://s3.eu-west-1.amazonaws.com/bucket/mcp-prod", "s3.eu-west-1.amazonaws.com", [443]),
        ("s3:https://minio.example.com:9000/bucket", "minio.example.com", [9000]),
        ("s3:http://10.20.0.5:9000/bucket", "10.20.0.5/32", [9000]),
        ("s3:http://storage.internal/bucket", "storage.internal", [80]),
    ],
)
def test_the_repository_url_decides_the_backup_egress(repository: str, destination: str, ports: list[int]) -> None:
    rule = repository_egress(repository)
    assert (rule.destination, rule.ports) == (destination, ports)
