"""Settings validation: every bad value named with its key path, value and what is allowed, all at once."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pulumi
import pytest

from infra.settings import SECRET_PLACEHOLDER, SettingsError, load_settings
from infra.stack_files import read_stack_config
from tests.helpers.stacks import evaluate_stack

# Monitoring and backups off in the base config: their secrets (Grafana's password, the restic password) are covered
# by their own tests.
BASE = {
    **read_stack_config("dev").values,
    "mcp-suite:monitoring": json.dumps({"enabled": False}),
    "mcp-suite:backup": json.dumps({"enabled": False}),
    # Needed on the kubernetes and koyeb targets; the docker target builds locally and ignores it.
    "mcp-suite:images": json.dumps({"registry": "registry.example.com/mcp-suite"}),
}
PUBLISHED = {"image": "docker.io/mcp/search:1.0.0", "transport": "streamable-http", "port": 8080}
"""A service that runs a published image rather than one the suite builds."""


def catalog_with_published(**fields: Any) -> dict[str, Any]:
    return {**json.loads(BASE["mcp-suite:services"]), "search": {**PUBLISHED, **fields}}


def services_with(name: str, **fields: Any) -> dict[str, Any]:
    catalog = json.loads(BASE["mcp-suite:services"])
    catalog[name] = {**catalog[name], **fields}
    return catalog


def raw_with(**overrides: Any) -> dict[str, str]:
    raw = dict(BASE)
    for key, value in overrides.items():
        full_key = f"mcp-suite:{key}"
        if value is None:
            raw.pop(full_key)
        else:
            raw[full_key] = value if isinstance(value, str) else json.dumps(value)
    return raw


BAD_CONFIG = [
    pytest.param(
        {"network": {"originLock": "none"}},
        ["network.originLock: Input should be 'tunnel' or 'mtls' (got 'none')"],
        id="origin-lock-unknown",
    ),
    pytest.param(
        {"network": {"tunnel": {"image": "docker.io/cloudflare/cloudflared:latest", "replicas": 0}}},
        [
            "network.tunnel.image: 'docker.io/cloudflare/cloudflared:latest' uses the moving tag 'latest'; "
            "pin a version tag or an @sha256 digest",
            "network.tunnel.replicas: Input should be greater than or equal to 1 (got 0)",
        ],
        id="tunnel-unpinned-and-no-connector",
    ),
    pytest.param(
        {"network": {"ingressClass": "nginx", "ingressController": {"namespace": "ingress-nginx", "podLabels": {}}}},
        [
            "network.ingressClass: ingress-nginx is retired and the Gateway API replaced it (docs/network.md): "
            "remove it, and set gatewayClass if your Envoy Gateway's GatewayClass is not `eg`",
            "network.ingressController: ingress-nginx is retired and the Gateway API replaced it (docs/network.md): "
            "remove it; the gateway's proxies are selected by gatewayNamespace",
        ],
        id="ingress-nginx-keys-retired",
    ),
    pytest.param(
        {"services": services_with("everything", tier="huge")},
        ["services.everything.tier: Input should be 'small', 'medium' or 'large' (got 'huge')"],
        id="unknown-tier",
    ),
    pytest.param(
        {"services": catalog_with_published(image="docker.io/mcp/everything:latest")},
        [
            "services.search.image: 'docker.io/mcp/everything:latest' uses the moving tag 'latest'; "
            "pin a version tag or an @sha256 digest"
        ],
        id="latest-image",
    ),
    pytest.param(
        {"services": catalog_with_published(image="docker.io/mcp/everything")},
        ["services.search.image: 'docker.io/mcp/everything' is not pinned; add a version tag or an @sha256 digest"],
        id="untagged-image",
    ),
    pytest.param(
        {"services": services_with("everything", port=0)},
        ["services.everything.port: Input should be greater than or equal to 1 (got 0)"],
        id="port-zero",
    ),
    pytest.param(
        {"services": services_with("everything", replicas={"min": -1, "max": 3})},
        ["services.everything.replicas.min: Input should be greater than or equal to 1 (got -1)"],
        id="negative-replicas",
    ),
    pytest.param(
        {"services": services_with("everything", replicas={"min": 4, "max": 2})},
        ["services.everything.replicas: min (4) is above max (2); set min <= max"],
        id="min-above-max",
    ),
    pytest.param(
        {"services": {**services_with("everything"), "extra": {"transport": "sse", "port": 8080}}},
        ["services.extra: set exactly one of `image` (a published image) and `build` (an image the suite builds)"],
        id="missing-image",
    ),
    pytest.param(
        {"services": services_with("everything", image="docker.io/mcp/everything:1.0.0")},
        ["services.everything: set exactly one of `image` (a published image) and `build` (an image the suite builds)"],
        id="image-and-build",
    ),
    pytest.param(
        {"services": catalog_with_published(transport="stdio", bridge={})},
        ["services.search: a stdio server runs behind the bridge, which only the suite's own images hold; set `build`"],
        id="bridge-without-build",
    ),
    pytest.param(
        {"services": services_with("memory", build={"server": "postgres"})},
        [
            "services.memory.build.server: images/servers/postgres needs a package.json and a package-lock.json "
            "(npm install there writes the lock); known servers: everything, filesystem, memory, sequential-thinking"
        ],
        id="unknown-build-server",
    ),
    pytest.param(
        {"services": services_with("memory", bridge={"stdioCommand": "@modelcontextprotocol/server-memory@2026.8.31"})},
        [
            "services.memory.bridge.stdioCommand: unknown key; remove it (see the documented fields in "
            "components/spec.py and infra/settings/)"
        ],
        id="bridge-command-is-derived",
    ),
    pytest.param(
        {"services": services_with("filesystem", bridge={"args": ["/data/*"]})},
        [
            "services.filesystem.bridge.args: '/data/*' is not a plain word: the server runs without a shell, so "
            "give each argument on its own, without spaces, quotes or shell syntax"
        ],
        id="bridge-shell-syntax",
    ),
    pytest.param(
        {"colour": "blue"},
        [
            "colour: unknown key; allowed keys: backup, backupSecrets, catalogFile, disabledServices, docker, edge, "
            "edgeSecrets, images, koyeb, kubernetes, monitoring, monitoringSecrets, network, protectStatefulData, "
            "requireImageDigests, serviceOverrides, serviceSecrets, services, storage, target"
        ],
        id="unknown-key",
    ),
    pytest.param(
        {"services": services_with("everything", replica={"min": 1})},
        [
            "services.everything.replica: unknown key; remove it (see the documented fields in components/spec.py "
            "and infra/settings/)"
        ],
        id="unknown-service-field",
    ),
    pytest.param(
        {"target": "swarm"},
        ["target: Input should be 'docker', 'kubernetes' or 'koyeb' (got 'swarm')"],
        id="unknown-target",
    ),
    pytest.param(
        {"serviceOverrides": {"nope": {"tier": "large"}}},
        ["serviceOverrides.nope: no service named 'nope'; known: everything, filesystem, memory, sequential-thinking"],
        id="override-unknown-service",
    ),
    pytest.param(
        {"services": services_with("memory", replicas={"min": 1, "max": 2})},
        [
            "services.memory: max 2 replicas, but `sessions: stateful` keeps each MCP session in one replica's memory "
            "and the initialize request carries no session id to route by; set `sessions: stateless` (the server "
            "keeps no per-session state) or `shared` (a session store every replica reads), or "
            "replicas max 1; a stateful service runs exactly one replica; set replicas to min 1, max 1 (got max 2)"
        ],
        id="stateful-scaled",
    ),
    pytest.param(
        {"services": services_with("everything", bridge=None)},
        [
            "services.everything: a stdio server needs `bridge` (`bridge: {}` for the defaults) to be reachable "
            "over HTTP"
        ],
        id="stdio-null-bridge",
    ),
    pytest.param(
        {"protectStatefulData": "yes"},
        ["protectStatefulData: expected boolean, got 'yes'"],
        id="not-a-boolean",
    ),
    pytest.param(
        {"network": {"gateway": {"port": 443}}},
        ["network.gateway.port: Input should be greater than or equal to 1024 (got 443)"],
        id="privileged-gateway-port",
    ),
    pytest.param(
        {"network": {"gateway": {"certificateFile": "/etc/ssl/dev.pem"}}},
        ["network.gateway: set both `certificateFile` and `keyFile`, or neither for a self-signed certificate"],
        id="certificate-without-key",
    ),
    pytest.param(
        {"network": {"ingressHost": "MCP.example.com"}},
        ["network.ingressHost: 'MCP.example.com' is not a host name; use a lowercase DNS name such as api.example.com"],
        id="bad-ingress-host",
    ),
    pytest.param(
        {"target": "kubernetes"},
        [
            "network.ingressHost: required for the kubernetes target: the public hostname the Ingress serves "
            "(the edge's origin), e.g. `pulumi config set --path network.ingressHost mcp-origin.example.com`"
        ],
        id="kubernetes-without-ingress-host",
    ),
    pytest.param(
        {"services": services_with("memory", callers=["everything", "search"])},
        [
            "services.memory.callers: 'search' is not a service of the catalog; known: everything, filesystem, "
            "memory, sequential-thinking"
        ],
        id="unknown-caller",
    ),
    pytest.param(
        {"services": {**services_with("memory"), "gateway": services_with("memory")["everything"]}},
        ["services.gateway.name: 'gateway' is reserved for the Docker gateway container; choose another name"],
        id="reserved-name",
    ),
    pytest.param(
        {"serviceOverrides": {"memory": {"callers": ["memory"]}}},
        ["services.memory: a service does not list itself in `callers`"],
        id="self-caller",
    ),
    pytest.param(
        {
            "services": services_with(
                "memory", egress=[{"host": "api.example.com", "cidr": "10.0.0.0/8", "ports": [443]}]
            )
        },
        ["services.memory.egress.0: set exactly one of `host` or `cidr`"],
        id="host-and-cidr",
    ),
    pytest.param(
        {"services": services_with("memory", egress=[{"cidr": "10.1.2.3/8", "ports": [5432]}])},
        ["services.memory.egress.0.cidr: '10.1.2.3/8' is not a network address; write 10.0.0.0/8"],
        id="cidr-host-bits",
    ),
    pytest.param(
        {"services": services_with("memory", egress=[{"cidr": "10.0.0.0/33", "ports": [5432]}])},
        ["services.memory.egress.0.cidr: '10.0.0.0/33' is not a CIDR network; write it as 10.0.0.0/8 or 2001:db8::/32"],
        id="cidr-bad-prefix",
    ),
    pytest.param(
        {"services": services_with("memory", egress=[{"host": "api.example.com", "ports": []}])},
        ["services.memory.egress.0.ports: List should have at least 1 item after validation, not 0"],
        id="egress-without-ports",
    ),
    pytest.param(
        {"services": services_with("memory", egress=[{"host": "api.example.com", "ports": [70000]}])},
        ["services.memory.egress.0.ports.0: Input should be less than or equal to 65535 (got 70000)"],
        id="egress-port-out-of-range",
    ),
    pytest.param(
        {"disabledServices": ["nope", "memory", "memory"]},
        [
            "disabledServices.0: no service named 'nope'; known: everything, filesystem, memory, sequential-thinking",
            "disabledServices.2: 'memory' is listed twice",
        ],
        id="disabled-unknown-and-twice",
    ),
    pytest.param(
        {"disabledServices": "memory"},
        ["disabledServices: expected array, got 'memory'"],
        id="disabled-not-a-list",
    ),
    pytest.param(
        {"disabledServices": ["everything", "filesystem", "memory", "sequential-thinking"]},
        ["disabledServices: disables every service; leave at least one service enabled"],
        id="disabled-everything",
    ),
    pytest.param(
        {"koyeb": {"regions": ["fra", "mars"]}},
        [
            "koyeb.regions.1: Input should be 'fra', 'was', 'sin', 'tyo', 'par' or 'aws-us-east-1' (got 'mars')",
        ],
        id="koyeb-unknown-region",
    ),
    pytest.param(
        {"koyeb": {"regions": ["fra", "fra"]}},
        ["koyeb.regions: lists fra more than once; list each region once"],
        id="koyeb-region-twice",
    ),
    pytest.param(
        {"koyeb": {"appName": "MCP"}},
        ["koyeb.appName: String should match pattern '^[a-z0-9]([a-z0-9-]{1,21}[a-z0-9])$' (got 'MCP')"],
        id="koyeb-bad-app-name",
    ),
    pytest.param(
        {"koyeb": {"instanceTypes": {"huge": "small"}}},
        ["koyeb.instanceTypes.huge: Input should be 'small', 'medium' or 'large' (got 'huge')"],
        id="koyeb-instance-type-unknown-tier",
    ),
    pytest.param(
        {"koyeb": {"externalStores": {"everything": {"description": "Postgres", "urlEnv": "DATABASE_URL"}}}},
        ["koyeb.externalStores.everything: 'everything' is not stateful; remove this entry"],
        id="external-store-for-stateless",
    ),
    pytest.param(
        {"koyeb": {"externalStores": {"memory": {"description": "Postgres", "urlEnv": "DATABASE_URL"}}}},
        [
            "koyeb.externalStores.memory.urlEnv: 'DATABASE_URL' is not in services.memory.env or secretEnv, so the "
            "server would never learn where its store is; declare it there (in secretEnv if it holds credentials)"
        ],
        id="external-store-env-not-declared",
    ),
    pytest.param(
        {"storage": {"sizes": {"filesystem": "lots"}}},
        ["storage.sizes.filesystem: String should match pattern '^[0-9]+(\\.[0-9]+)?(Ki|Mi|Gi|Ti)$' (got 'lots')"],
        id="bad-volume-size",
    ),
]


@pytest.mark.parametrize(("overrides", "expected"), BAD_CONFIG)
def test_bad_config_is_reported_with_key_value_and_allowed(overrides: dict[str, Any], expected: list[str]) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings("dev", raw_with(**overrides))
    assert [f"{p.path}: {p.message}" for p in caught.value.problems] == expected


def test_every_problem_is_listed_at_once_in_one_message() -> None:
    services = services_with("everything", tier="huge", port=0, image="docker.io/mcp/everything:latest")
    with pytest.raises(SettingsError) as caught:
        load_settings("staging", raw_with(services=services, colour="blue"))
    message = str(caught.value)
    assert message.startswith("Invalid configuration for stack 'staging' (4 problems):\n")
    for fragment in ("mcp-suite:colour", "everything.tier", "everything.port", "everything.image"):
        assert fragment in message
    assert "Traceback" not in message
    assert message.endswith("the keys and their defaults are declared in Pulumi.yaml.")


def test_bad_config_registers_nothing_and_stops_without_traceback() -> None:
    with pytest.raises(pulumi.RunError) as caught:
        evaluate_stack("prod", overrides={"services": services_with("everything", tier="huge")})
    assert "services.everything.tier" in str(caught.value)
    # RunError is Pulumi's way to end a program with its message alone (no stack trace printed).
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_nothing_is_registered_when_config_is_bad() -> None:
    from infra import mock_runtime

    recorded: list[mock_runtime.RecordingMocks] = []
    original = mock_runtime.RecordingMocks

    class Spy(original):  # type: ignore[misc,valid-type]
        def __init__(self) -> None:
            super().__init__()
            recorded.append(self)

    mock_runtime.RecordingMocks = Spy  # type: ignore[misc]
    try:
        with pytest.raises(pulumi.RunError):
            evaluate_stack("dev", overrides={"target": "swarm"})
    finally:
        mock_runtime.RecordingMocks = original  # type: ignore[misc]
    assert len(recorded) == 1 and recorded[0].registrations == []


def test_overrides_merge_into_the_catalog_entry() -> None:
    settings = load_settings(
        "dev", raw_with(serviceOverrides={"everything": {"replicas": {"max": 7}, "tier": "large"}})
    )
    spec = next(s for s in settings.services if s.name == "everything")
    assert (spec.replicas.min, spec.replicas.max, spec.tier) == (1, 7, "large")
    assert spec.bridge is not None  # untouched fields survive the merge


def test_declared_secret_env_must_be_set_as_a_secret() -> None:
    services = services_with("everything", secretEnv=["API_TOKEN"])
    with pytest.raises(SettingsError) as caught:
        load_settings("dev", raw_with(services=services))
    assert [p.path for p in caught.value.problems] == ["serviceSecrets.everything.API_TOKEN"]

    plain = raw_with(services=services, serviceSecrets={"everything": {"API_TOKEN": "hunter2"}})
    with pytest.raises(SettingsError) as caught:
        load_settings("dev", plain)
    assert [p.path for p in caught.value.problems] == ["serviceSecrets"]
    assert "hunter2" not in str(caught.value)

    settings = load_settings("dev", plain, frozenset({"mcp-suite:serviceSecrets"}))
    assert settings.secret_value("everything", "API_TOKEN") == "hunter2"
    assert "hunter2" not in repr(settings)


def test_render_fills_missing_secrets_with_a_marked_placeholder() -> None:
    services = services_with("everything", secretEnv=["API_TOKEN"])
    settings = load_settings("dev", raw_with(services=services), placeholder_secrets=True)
    assert settings.secret_value("everything", "API_TOKEN") == SECRET_PLACEHOLDER


def test_services_are_sorted_by_name_whatever_the_catalog_order() -> None:
    settings = load_settings("dev", BASE)
    assert [s.name for s in settings.services] == sorted(s.name for s in settings.services)


def test_disabled_services_leave_the_stack_on_any_target() -> None:
    settings = load_settings("dev", raw_with(disabledServices=["memory"]))
    assert [s.name for s in settings.services] == ["everything", "filesystem", "sequential-thinking"]
    assert settings.disabled_services == ["memory"]
    assert settings.writer_of("memory-graph") is None
    evaluation = evaluate_stack("dev", overrides={"disabledServices": ["memory"]})
    assert {e.name for e in evaluation.of_type("mcp-suite:docker:McpService")} == {
        "everything",
        "filesystem",
        "sequential-thinking",
    }


def test_secrets_of_a_disabled_service_are_refused_and_not_required() -> None:
    services = services_with("memory", secretEnv=["API_TOKEN"])
    settings = load_settings("dev", raw_with(services=services, disabledServices=["memory"]))
    assert "memory" not in settings.service_secrets
    given = raw_with(
        services=services, disabledServices=["memory"], serviceSecrets={"memory": {"API_TOKEN": "hunter2"}}
    )
    with pytest.raises(SettingsError) as caught:
        load_settings("dev", given, frozenset({"mcp-suite:serviceSecrets"}))
    assert [f"{p.path}: {p.message}" for p in caught.value.problems] == [
        "serviceSecrets.memory: 'memory' is in disabledServices; remove its secrets or enable it"
    ]


def test_koyeb_refuses_every_stateful_service_at_once() -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings("koyeb", raw_with(target="koyeb"))
    problems = {p.path: p.message for p in caught.value.problems}
    # The stateless servers scale on Koyeb: they issue no session ids, so no affinity is needed.
    assert sorted(problems) == ["services.filesystem", "services.memory"]
    assert problems["services.memory"].startswith("is stateful, and Koyeb offers no volume for its data here")


def test_koyeb_refuses_a_port_env_that_would_contradict_the_spec_port() -> None:
    services = services_with("everything", env={"PORT": "9999"}, replicas={"min": 1, "max": 1})
    raw = raw_with(target="koyeb", services=services, disabledServices=["memory", "filesystem", "sequential-thinking"])
    with pytest.raises(SettingsError) as caught:
        load_settings("koyeb", raw)
    assert [f"{p.path}: {p.message}" for p in caught.value.problems] == [
        "services.everything.env.PORT: the Koyeb target sets PORT to the service's port (8000); remove it"
    ]


def test_koyeb_needs_an_app_name_when_the_default_is_too_long() -> None:
    raw = raw_with(target="koyeb", disabledServices=["memory", "filesystem"])
    raw["mcp-suite:serviceOverrides"] = json.dumps(
        {name: {"replicas": {"min": 1, "max": 1}} for name in ("everything", "sequential-thinking")}
    )
    with pytest.raises(SettingsError) as caught:
        load_settings("a-rather-long-stack-name", raw)
    assert [p.path for p in caught.value.problems] == ["koyeb.appName"]
    assert load_settings("koyeb", raw).koyeb_app_name == "mcp-koyeb"


def test_monitoring_needs_grafanas_password_and_each_receivers_credential_as_secrets() -> None:
    monitoring = {"receivers": {"page": {"kind": "pagerduty"}}}
    with pytest.raises(SettingsError) as caught:
        load_settings("dev", raw_with(monitoring=monitoring))
    assert [p.path for p in caught.value.problems] == [
        "monitoringSecrets.grafanaAdminPassword",
        "monitoringSecrets.page",
    ]
    assert "pulumi config set --secret --path monitoringSecrets.page" in str(caught.value)

    secrets = {"grafanaAdminPassword": "s3cret-admin", "page": "routing-key-123"}
    with pytest.raises(SettingsError) as caught:
        load_settings("dev", raw_with(monitoring=monitoring, monitoringSecrets=secrets))
    assert [p.path for p in caught.value.problems] == ["monitoringSecrets"]
    assert "s3cret-admin" not in str(caught.value)

    settings = load_settings(
        "dev", raw_with(monitoring=monitoring, monitoringSecrets=secrets), frozenset({"mcp-suite:monitoringSecrets"})
    )
    assert settings.monitoring_secret("page") == "routing-key-123"
    assert "routing-key-123" not in repr(settings)


@pytest.mark.parametrize(
    ("monitoring", "expected"),
    [
        (
            {"retention": "forever"},
            "monitoring.retention: String should match pattern '^[1-9][0-9]*(h|d|w)$' (got 'forever')",
        ),
        (
            {"receivers": {"pager": {"kind": "slack"}}},
            "monitoring.receivers.pager: Input should be 'page' or 'ticket' (got 'pager')",
        ),
        (
            {"receivers": {"page": {"kind": "pagerduty", "channel": "#ops"}}},
            "monitoring.receivers.page: `channel` is only for slack receivers, not pagerduty",
        ),
    ],
    ids=["bad-retention", "unknown-route", "channel-without-slack"],
)
def test_bad_monitoring_settings_are_named(monitoring: dict[str, Any], expected: str) -> None:
    secrets = {"grafanaAdminPassword": "x", "page": "y"}
    with pytest.raises(SettingsError) as caught:
        load_settings(
            "dev",
            raw_with(monitoring={**monitoring, "enabled": True}, monitoringSecrets=secrets),
            frozenset({"mcp-suite:monitoringSecrets"}),
        )
    assert [f"{p.path}: {p.message}" for p in caught.value.problems] == [expected]


def test_monitoring_needs_its_own_kubernetes_namespace() -> None:
    raw = raw_with(
        target="kubernetes",
        kubernetes={"namespace": "mcp"},
        network={"ingressHost": "mcp-origin.example.com"},
        monitoring={"namespace": "mcp"},
        monitoringSecrets={"grafanaAdminPassword": "x"},
    )
    with pytest.raises(SettingsError) as caught:
        load_settings("staging", raw, frozenset({"mcp-suite:monitoringSecrets"}))
    assert [f"{p.path}: {p.message}" for p in caught.value.problems] == [
        "monitoring.namespace: is the services' namespace 'mcp', which enforces the restricted Pod Security level "
        "that node-exporter cannot meet; pick another namespace"
    ]


# Synthetic digest for a synthetic repository: test data, not a pin of any published image.
SYNTHETIC_IMAGE = "example.invalid/mcp/server:1.0.0@sha256:" + "0123456789abcdef" * 4


def test_required_digests_reject_a_tag_pinned_published_image_and_exempt_built_ones() -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings("prod", raw_with(requireImageDigests=True, services=catalog_with_published()))
    # The suite's own images run by the digest their push returns; only the published image needs one here.
    assert [f"{p.path}: {p.message}" for p in caught.value.problems] == [
        "services.search.image: 'docker.io/mcp/search:1.0.0' has no @sha256 digest and "
        "requireImageDigests is on; pin the digest published for this tag (Renovate's digest pinning does) "
        "or turn requireImageDigests off"
    ]


def test_required_digests_accept_digest_pinned_images() -> None:
    catalog = catalog_with_published(image=SYNTHETIC_IMAGE)
    settings = load_settings("prod", raw_with(requireImageDigests=True, services=catalog))
    assert settings.require_image_digests is True


def test_a_target_that_pulls_images_needs_a_registry_for_the_built_ones() -> None:
    raw = raw_with(target="kubernetes", network={"ingressHost": "mcp-origin.example.com"}, images=None)
    with pytest.raises(SettingsError) as caught:
        load_settings("staging", raw)
    assert [f"{p.path}: {p.message}" for p in caught.value.problems] == [
        "images.registry: required on kubernetes stacks, which pull the images the suite builds (everything, "
        "filesystem, memory, sequential-thinking) from a registry: e.g. `pulumi config set --path images.registry "
        "ghcr.io/<org>/mcp-suite`"
    ]
    assert load_settings("dev", raw_with(images=None)).images.registry is None


def test_digests_are_not_required_by_default() -> None:
    assert load_settings("dev", raw_with(requireImageDigests=None)).require_image_digests is False


def test_hot_reload_is_for_the_dev_stack_and_needs_a_package_checkout(tmp_path: Path) -> None:
    checkout = tmp_path / "server-memory"
    checkout.mkdir()
    services = services_with("memory", devSource=str(checkout))
    with pytest.raises(SettingsError) as caught:
        load_settings("dev", raw_with(services=services))
    assert [f"{p.path}: {p.message}" for p in caught.value.problems] == [
        f"services.memory.devSource: {checkout} has no package.json; give the folder of a checkout of the server "
        "package, with `npm install` run in it"
    ]
    (checkout / "package.json").write_text('{"name": "@modelcontextprotocol/server-memory"}')
    assert load_settings("dev", raw_with(services=services)).services[2].dev_source == str(checkout)
    staging = raw_with(services=services, target="kubernetes", network={"ingressHost": "mcp-origin.example.com"})
    with pytest.raises(SettingsError) as caught:
        load_settings("staging", staging)
    assert [f"{p.path}: {p.message}" for p in caught.value.problems] == [
        "services.memory.devSource: hot reload is for the dev stack (docker target) only, not kubernetes: remove it "
        "here (set it in Pulumi.dev.yaml under serviceOverrides)"
    ]
