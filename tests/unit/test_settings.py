"""Settings validation: every bad value named with its key path, value and what is allowed, all at once."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pytest

from infra.settings import SECRET_PLACEHOLDER, SettingsError, load_settings
from infra.stack_files import read_stack_config
from tests.conftest import evaluate_stack

BASE = read_stack_config("dev").values


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
        {"services": services_with("everything", tier="huge")},
        ["services.everything.tier: Input should be 'small', 'medium' or 'large' (got 'huge')"],
        id="unknown-tier",
    ),
    pytest.param(
        {"services": services_with("everything", image="docker.io/mcp/everything:latest")},
        [
            "services.everything.image: 'docker.io/mcp/everything:latest' uses the moving tag 'latest'; "
            "pin a version tag or an @sha256 digest"
        ],
        id="latest-image",
    ),
    pytest.param(
        {"services": services_with("everything", image="docker.io/mcp/everything")},
        ["services.everything.image: 'docker.io/mcp/everything' is not pinned; add a version tag or an @sha256 digest"],
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
        ["services.extra.image: required"],
        id="missing-image",
    ),
    pytest.param(
        {"colour": "blue"},
        [
            "colour: unknown key; allowed keys: docker, edge, edgeSecrets, kubernetes, protectStatefulData, "
            "serviceOverrides, serviceSecrets, services, storage, target"
        ],
        id="unknown-key",
    ),
    pytest.param(
        {"services": services_with("everything", replica={"min": 1})},
        [
            "services.everything.replica: unknown key; remove it (see the documented fields in components/spec.py "
            "and infra/settings.py)"
        ],
        id="unknown-service-field",
    ),
    pytest.param(
        {"target": "swarm"},
        ["target: Input should be 'docker' or 'kubernetes' (got 'swarm')"],
        id="unknown-target",
    ),
    pytest.param(
        {"serviceOverrides": {"nope": {"tier": "large"}}},
        ["serviceOverrides.nope: no service named 'nope'; known: everything, filesystem, memory, sequential-thinking"],
        id="override-unknown-service",
    ),
    pytest.param(
        {"services": services_with("memory", replicas={"min": 1, "max": 2})},
        ["services.memory: a stateful service runs exactly one replica; set replicas to min 1, max 1 (got max 2)"],
        id="stateful-scaled",
    ),
    pytest.param(
        {"services": services_with("everything", bridge=None)},
        ["services.everything: a stdio server needs `bridge.stdioCommand` to be reachable over HTTP"],
        id="stdio-null-bridge",
    ),
    pytest.param(
        {"protectStatefulData": "yes"},
        ["protectStatefulData: expected boolean, got 'yes'"],
        id="not-a-boolean",
    ),
    pytest.param(
        {"docker": {"hostPortBase": 80}},
        ["docker.hostPortBase: Input should be greater than or equal to 1024 (got 80)"],
        id="privileged-host-port",
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
