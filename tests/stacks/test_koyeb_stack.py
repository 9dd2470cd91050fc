"""The optional koyeb stack: the whole program on the Koyeb target, as preview and as update."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from typing import Any

import pulumi
import pytest

from components.render.koyeb_platform import default_instance_type, secret_name
from infra.mock_runtime import REDACTED, Evaluation
from infra.settings import load_settings
from infra.stack_files import PROJECT_DIR, read_stack_config
from tests.helpers.stacks import KOYEB_STACKS, evaluate_stack

STACK = "koyeb"
ENABLED = {"everything", "sequential-thinking"}
SECRET_VALUE = "postgres://notes:hunter2@db.example.com/notes"


def catalog() -> dict[str, Any]:
    services: dict[str, Any] = json.loads(read_stack_config(STACK).values["mcp-suite:services"])
    return services


def definitions(evaluation: Evaluation) -> dict[str, dict[str, Any]]:
    services = evaluation.of_type("koyeb:index/service:Service")
    return {e.inputs["definition"]["name"]: e.inputs["definition"] for e in services}


def evaluate_with_exports(monkeypatch: pytest.MonkeyPatch, **kwargs: Any) -> tuple[Evaluation, dict[str, Any]]:
    exports: dict[str, Any] = {}

    def record(name: str, value: Any) -> None:
        pulumi.Output.from_input(value).apply(lambda resolved: exports.__setitem__(name, resolved))

    monkeypatch.setattr(pulumi, "export", record)
    return evaluate_stack(STACK, **kwargs), exports


@pytest.mark.parametrize("preview", [True, False], ids=["preview", "update"])
@pytest.mark.parametrize("stack", KOYEB_STACKS)
def test_koyeb_stack_renders_in_preview_and_update(stack: str, preview: bool) -> None:
    evaluation = evaluate_stack(stack, preview=preview)
    counts = Counter(e.type for e in evaluation.registrations)
    assert {e.name for e in evaluation.of_type("mcp-suite:koyeb:McpService")} == ENABLED
    assert counts["koyeb:index/app:App"] == 1
    assert counts["koyeb:index/service:Service"] == len(ENABLED)
    providers = [e.type for e in evaluation.registrations if e.type.startswith("pulumi:providers:")]
    assert providers == ["pulumi:providers:koyeb"]
    # The suite's images are built by the Docker engine where Pulumi runs and pushed; nothing else is Docker's.
    assert {t for t in counts if t.startswith(("docker:", "kubernetes:"))} == {"docker:index/image:Image"}
    assert {e.inputs["imageName"].split(":")[0] for e in evaluation.of_type("docker:index/image:Image")} == {
        f"registry.example.com/mcp-suite/{server}" for server in ENABLED
    }


def test_every_service_maps_from_its_spec() -> None:
    config = read_stack_config(STACK)
    settings = load_settings(STACK, config.values, config.secret_keys, placeholder_secrets=True)
    rendered = definitions(evaluate_stack(STACK))
    assert set(rendered) == {spec.name for spec in settings.services} == ENABLED
    for spec in settings.services:
        definition = rendered[spec.name]
        assert definition["docker"]["image"].startswith(f"registry.example.com/mcp-suite/{spec.name}@sha256:")
        assert definition["ports"] == [{"port": spec.port, "protocol": "http"}]
        assert definition["routes"] == [{"path": f"/{spec.name}/", "port": spec.port}]
        assert {"key": "PORT", "value": str(spec.port)} in definition["envs"]
        assert definition["healthChecks"][0]["http"]["path"] == spec.health_path
        assert definition["instanceTypes"] == [{"type": default_instance_type(spec.resources)}]
        assert definition["regions"] == ["fra", "was"]
        # The design's baseline of two instances, scaling on CPU above 70 % or p95 latency above 500 ms.
        assert definition["scalings"] == [
            {
                "min": spec.replicas.min,
                "max": spec.replicas.max,
                "targets": [{"averageCpus": [{"value": 70}]}, {"requestResponseTimes": [{"value": 500}]}],
            }
        ]
        assert spec.replicas.min == 2


def test_origin_host_and_endpoints_are_exported_for_the_edge(monkeypatch: pytest.MonkeyPatch) -> None:
    _, exports = evaluate_with_exports(monkeypatch)
    # Under mocks the organisation part of the host is a stand-in; Koyeb assigns the real one.
    assert exports["originHost"] == "mcp-suite-mock-org.koyeb.app"
    assert exports["publicUrl"] == "https://mcp-suite-mock-org.koyeb.app"
    assert exports["endpoints"] == {
        "everything": "https://mcp-suite-mock-org.koyeb.app/everything/mcp",
        "sequential-thinking": "https://mcp-suite-mock-org.koyeb.app/sequential-thinking/mcp",
    }
    assert exports["disabledServices"] == ["memory", "filesystem"]
    # The pushed digests the deploy workflow signs and verifies before the services roll to them.
    definitions_by_name = definitions(evaluate_stack(STACK))
    assert exports["images"] == {name: definitions_by_name[name]["docker"]["image"] for name in ENABLED}
    assert all("@sha256:" in image for image in exports["images"].values())


def test_a_stateful_service_is_refused_with_a_clear_message() -> None:
    with pytest.raises(pulumi.RunError) as caught:
        evaluate_stack(STACK, overrides={"disabledServices": ["filesystem"]})
    message = str(caught.value)
    assert message.startswith("Invalid configuration for stack 'koyeb' (1 problem):")
    assert "mcp-suite:services.memory: is stateful, and Koyeb offers no volume for its data here" in message
    assert "koyeb.externalStores.memory" in message and "disabledServices" in message


def test_a_stateful_service_with_an_external_store_deploys_and_its_secret_stays_secret() -> None:
    services = catalog()
    services["notes"] = {
        "image": "ghcr.io/example/notes-mcp:2.3.0",
        "transport": "streamable-http",
        "port": 8080,
        "stateful": True,
        "secretEnv": ["DATABASE_URL"],
    }
    evaluation = evaluate_stack(
        STACK,
        overrides={
            "services": services,
            "koyeb": {
                "appName": "mcp-suite",
                "regions": ["fra"],
                "externalStores": {"notes": {"description": "managed Postgres", "urlEnv": "DATABASE_URL"}},
            },
            "serviceSecrets": {"notes": {"DATABASE_URL": SECRET_VALUE}},
        },
        secret_keys=frozenset({"mcp-suite:serviceSecrets"}),
        placeholder_secrets=False,
    )
    notes = definitions(evaluation)["notes"]
    assert {"key": "DATABASE_URL", "secret": secret_name("mcp-suite", "notes", "DATABASE_URL")} in notes["envs"]
    [secret] = evaluation.of_type("koyeb:index/secret:Secret")
    assert secret.inputs["value"] == REDACTED
    assert secret.parent == "notes"
    assert SECRET_VALUE not in json.dumps([e.as_json() for e in evaluation.registrations])


def test_regions_and_instance_types_come_from_settings() -> None:
    evaluation = evaluate_stack(
        STACK, overrides={"koyeb": {"regions": ["sin", "tyo"], "instanceTypes": {"medium": "eco-medium"}}}
    )
    rendered = definitions(evaluation)
    assert rendered["everything"]["instanceTypes"] == [{"type": "eco-medium"}]  # tier medium, overridden
    assert rendered["sequential-thinking"]["instanceTypes"] == [{"type": "small"}]  # tier small, default
    assert all(d["regions"] == ["sin", "tyo"] for d in rendered.values())
    [app] = evaluation.of_type("koyeb:index/app:App")
    assert app.inputs["name"] == "mcp-koyeb"  # appName unset: mcp-<stack>


def test_other_targets_do_not_import_the_koyeb_sdk() -> None:
    # Every preview pays for what the program imports; only the koyeb target needs pulumi_koyeb.
    code = (
        "import sys; from tests.helpers.stacks import evaluate_stack; "
        "evaluate_stack('staging'); evaluate_stack('dev'); "
        "print(sorted(name for name in sys.modules if name.startswith('pulumi_koyeb')))"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_DIR, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_a_session_free_http_server_takes_the_baseline_of_two_and_autoscales() -> None:
    services = catalog()
    services["search"] = {
        "image": "ghcr.io/example/search-mcp:1.4.2",
        "transport": "streamable-http",
        "port": 8080,
        "healthPath": "/health",
        "replicas": {"min": 2, "max": 6},
        "sessions": "stateless",
    }
    [scaling] = definitions(evaluate_stack(STACK, overrides={"services": services}))["search"]["scalings"]
    assert scaling == {
        "min": 2,
        "max": 6,
        "targets": [{"averageCpus": [{"value": 70}]}, {"requestResponseTimes": [{"value": 500}]}],
    }
