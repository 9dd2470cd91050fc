"""Standards outside the pod: pinned Helm charts, protected stateful storage in production, proxied DNS records."""

from __future__ import annotations

import re

from .kubernetes import kind
from .props import Resource, items, mapping, path
from .rules import RuleContext

HELM_CHARTS = frozenset({"kubernetes:helm.sh/v3:Release", "kubernetes:helm.sh/v4:Chart"})
EXACT_VERSION = re.compile(r"^v?[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.+-]+)?$")
DOCKER_VOLUME = "docker:index/volume:Volume"
# The edge's token store and its authorization server's clients and grants: deleting one signs every client out.
KV_NAMESPACE = "cloudflare:index/workersKvNamespace:WorkersKvNamespace"
DNS_RECORDS = frozenset({"cloudflare:index/dnsRecord:DnsRecord", "cloudflare:index/record:Record"})
PROXYABLE_RECORD_TYPES = frozenset({"A", "AAAA", "CNAME"})


def charts_pinned(resource: Resource, context: RuleContext) -> list[str]:
    if resource.type not in HELM_CHARTS:
        return []
    version = resource.props.get("version")
    if isinstance(version, str) and EXACT_VERSION.match(version):
        return []
    return [f"chart version {version!r} is not an exact version; pin the chart (it pins the images it deploys)"]


def stateful_storage_protected(resource: Resource, context: RuleContext) -> list[str]:
    if not context.production:
        return []
    if resource.type in (DOCKER_VOLUME, KV_NAMESPACE) or kind(resource) == "PersistentVolumeClaim":
        if resource.protect:
            return []
        return ["stateful storage is not protected; register it with protect (and retain_on_delete)"]
    if kind(resource) != "StatefulSet":
        return []
    problems = []
    if items(path(resource.props, "spec", "volumeClaimTemplates")):
        problems.append(
            "volumeClaimTemplates create claims Pulumi cannot protect; declare the PersistentVolumeClaims as "
            "protected resources and mount them by name"
        )
    retention = mapping(path(resource.props, "spec", "persistentVolumeClaimRetentionPolicy"))
    problems += [
        f"persistentVolumeClaimRetentionPolicy.{when} is Delete; set it to Retain"
        for when in ("whenDeleted", "whenScaled")
        if retention.get(when) == "Delete"
    ]
    return problems


def dns_records_proxied(resource: Resource, context: RuleContext) -> list[str]:
    if resource.type not in DNS_RECORDS:
        return []
    record_type = resource.props.get("type")
    if record_type not in PROXYABLE_RECORD_TYPES or resource.props.get("proxied") is True:
        return []
    return [
        f"{record_type} record '{resource.props.get('name')}' is not proxied, so it exposes the origin's address; "
        "set proxied: true"
    ]
