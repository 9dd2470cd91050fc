"""Every policy of the pack over every resource of each rendered stack: no violation, and the gate really bites."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.spec import VOLUME_PURPOSES, split_image_reference
from infra.mock_runtime import Evaluation
from infra.stack_files import read_stack_config
from policy.mcp_policies import RESOURCE_RULES, STACK_RULES, StackFacts, resource_violations, rule_context
from tests.helpers.policy import policy_resources
from tests.helpers.stacks import STACKS, evaluate_stack, rendered


def all_violations(evaluation: Evaluation, facts: StackFacts | None = None) -> list[str]:
    facts = facts or StackFacts(name=evaluation.stack)
    resources = policy_resources(evaluation)
    found = [
        f"{rule.name} {resource.name}: {message}"
        for rule in RESOURCE_RULES
        for resource in resources
        for message in resource_violations(rule, resource, rule_context(facts, {}))
    ]
    found += [
        f"{rule.name} {urn.rsplit('::', 1)[-1]}: {message}"
        for rule in STACK_RULES
        for message, urn in rule.check(resources, rule_context(facts, {}))
    ]
    return found


@pytest.mark.parametrize("stack", STACKS)
def test_every_stack_meets_every_policy(stack: str) -> None:
    evaluation = rendered(stack)
    assert all_violations(evaluation) == []


@pytest.mark.parametrize("stack", STACKS)
def test_the_policies_have_workloads_to_judge(stack: str) -> None:
    types = {entry.type for entry in rendered(stack).registrations}
    judged = {"docker:index/container:Container"} if stack == "dev" else {"kubernetes:apps/v1:Deployment"}
    assert judged <= types


def test_prod_with_unprotected_storage_is_refused() -> None:
    evaluation = evaluate_stack("prod", overrides={"protectStatefulData": False})
    assert sorted(all_violations(evaluation)) == [
        f"stateful-storage-protected storage-{purpose}: stateful storage is not protected; "
        "register it with protect (and retain_on_delete)"
        for purpose in sorted(VOLUME_PURPOSES)
    ]


def test_a_stack_the_cli_did_not_name_is_judged_as_production() -> None:
    # Staging keeps its storage unprotected, which production forbids.
    violations = all_violations(rendered("staging"), StackFacts(name=None))
    assert {message.split(" ")[0] for message in violations} == {"stateful-storage-protected"}


def test_requiring_digests_flags_every_tag_pinned_image() -> None:
    evaluation = rendered("prod")
    violations = all_violations(evaluation, StackFacts(name="prod", require_image_digests=True))
    tag_pinned = [
        container["image"]
        for entry in evaluation.registrations
        if entry.type.startswith("kubernetes:apps/v1:")
        for container in entry.inputs["spec"]["template"]["spec"]["containers"]
        if split_image_reference(container["image"])[2] is None
    ]
    # Monitoring's and the tunnel connector's tag-pinned Deployments, one finding per container; the MCP services
    # run the suite's images by the digest their push returned, so none of them is flagged.
    assert sorted(tag_pinned) == [
        "docker.io/cloudflare/cloudflared:2026.9.1",
        "docker.io/jaegertracing/jaeger:2.21.0",
        "quay.io/prometheus/blackbox-exporter:v0.28.0",
    ]
    assert len(violations) == len(tag_pinned)
    services = [
        container["image"]
        for entry in evaluation.registrations
        if entry.type in ("kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:StatefulSet")
        and "mcp-server" in str(entry.inputs)
        for container in entry.inputs["spec"]["template"]["spec"]["containers"]
    ]
    assert len(services) == 4 and all("/mcp-suite/" in image and "@sha256:" in image for image in services)
    assert all(message.startswith("images-pinned ") and "has no @sha256 digest" in message for message in violations)


def test_docker_secret_env_reaches_the_policy_decrypted_and_is_kept_secret() -> None:
    catalog: dict[str, Any] = json.loads(read_stack_config("dev").values["mcp-suite:services"])
    catalog["everything"]["secretEnv"] = ["UPSTREAM_API_KEY"]
    evaluation = evaluate_stack(
        "dev",
        overrides={
            "services": catalog,
            "serviceSecrets": {"everything": {"UPSTREAM_API_KEY": "not-a-real-key"}},
            # The whole stack is evaluated with real secret values: backups and Grafana need theirs too.
            "backupSecrets": {"password": "not-a-real-restic-password"},
            "monitoringSecrets": {"grafanaAdminPassword": "not-a-real-grafana-password"},
        },
        secret_keys=frozenset({"mcp-suite:serviceSecrets", "mcp-suite:backupSecrets", "mcp-suite:monitoringSecrets"}),
        placeholder_secrets=False,
    )
    container = evaluation.service_container("everything")
    assert "UPSTREAM_API_KEY=not-a-real-key" in container.policy_inputs["envs"]
    assert "not-a-real-key" not in json.dumps(container.inputs)
    assert all_violations(evaluation) == []
    container.options["additionalSecretOutputs"] = []
    assert all_violations(evaluation) == [
        f"no-plaintext-secret-env {container.name}: env ['UPSTREAM_API_KEY'] carry secrets but `envs` is not a "
        "secret output, so state keeps them in plain text; register the container with "
        "additional_secret_outputs=['envs']"
    ]
