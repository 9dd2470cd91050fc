"""The pack as the Pulumi CLI runs it: its files, its stack facts, and the real pack process answering the
analyzer protocol (the same gRPC calls the CLI makes during `pulumi preview --policy-pack policy`)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
import yaml
from google.protobuf import empty_pb2, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc
from pulumi_policy import (
    PolicyCustomTimeouts,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
)

from infra.stack_files import PROJECT_DIR
from policy.mcp_policies import PACK_NAME, RESOURCE_RULES, STACK_RULES, StackFacts, build_policies
from tests.policy.resources import CLAIM, DEPLOYMENT, changed, deployment

POLICY_DIR = PROJECT_DIR / "policy"


def locked_versions() -> dict[str, str]:
    pins: dict[str, str] = {}
    for lock in ("requirements.txt", "requirements-dev.txt"):
        for line in (PROJECT_DIR / lock).read_text().splitlines():
            name, sep, version = line.partition("==")
            if sep:
                pins[name.lower().replace("_", "-")] = version
    return pins


def test_pack_is_a_python_policy_pack_with_its_own_virtualenv() -> None:
    document = yaml.safe_load((POLICY_DIR / "PulumiPolicy.yaml").read_text())
    assert document["runtime"] == {"name": "python", "options": {"toolchain": "pip", "virtualenv": "venv"}}
    assert "/policy/venv/" in (PROJECT_DIR / ".gitignore").read_text().splitlines()


def test_pack_requirements_pin_the_versions_the_tests_run() -> None:
    pins = {}
    for line in (POLICY_DIR / "requirements.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            name, sep, version = line.partition("==")
            assert sep, f"unpinned requirement {line!r}"
            pins[name.lower().replace("_", "-")] = version
    assert pins["pulumi-policy"] == "1.21.0"
    assert pins["pulumi"] == "3.272.0"
    locked = locked_versions()
    assert {name: locked.get(name) for name in pins} == pins


def test_policy_names_are_unique_and_every_rule_is_served() -> None:
    policies = build_policies(StackFacts(name="prod"))
    names = [policy.name for policy in policies]
    assert len(names) == len(set(names)) == len(RESOURCE_RULES) + len(STACK_RULES)


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"PULUMI_STACK": "staging", "PULUMI_CONFIG": "{}"}, StackFacts(name="staging")),
        (
            {"PULUMI_STACK": "prod", "PULUMI_CONFIG": json.dumps({"mcp-suite:requireImageDigests": "true"})},
            StackFacts(name="prod", require_image_digests=True),
        ),
        (
            {"PULUMI_STACK": "prod", "PULUMI_CONFIG": json.dumps({"mcp-suite:requireImageDigests": False})},
            StackFacts("prod"),
        ),
        ({}, StackFacts(name=None)),
    ],
)
def test_stack_facts_come_from_what_the_cli_passes(environ: dict[str, str], expected: StackFacts) -> None:
    assert StackFacts.from_environment(environ) == expected


def test_production_is_prod_unless_policy_config_says_otherwise_and_unknown_is_production() -> None:
    assert StackFacts("prod").is_production({}) and not StackFacts("staging").is_production({})
    assert StackFacts("live").is_production({"productionStacks": ["live"]})
    assert StackFacts(None).is_production({})
    assert StackFacts("staging").digests_required({"requireImageDigests": True})


def sdk_args(resource_type: str, props: dict[str, Any], *, protect: bool = False, config: Any = None) -> Any:
    options = PolicyResourceOptions(protect, [], None, [], PolicyCustomTimeouts(0, 0, 0), [], None)
    return ResourceValidationArgs(resource_type, props, "urn:pulumi:prod::mcp-suite::x", "x", options, None, config)


def test_sdk_policy_objects_report_through_report_violation() -> None:
    policies = {policy.name: policy for policy in build_policies(StackFacts("prod"))}
    storage = policies["stateful-storage-protected"]
    assert isinstance(storage, ResourceValidationPolicy)
    reported: list[str] = []
    storage.validate(sdk_args(CLAIM, {}), lambda message, urn=None: reported.append(message))
    assert reported == ["stateful storage is not protected; register it with protect (and retain_on_delete)"]
    reported.clear()
    storage.validate(sdk_args(CLAIM, {}, protect=True), lambda message, urn=None: reported.append(message))
    storage.validate(sdk_args(CLAIM, {}, config={"productionStacks": ["live"]}), lambda m, u=None: reported.append(m))
    assert reported == []


@pytest.fixture(scope="module")
def pack() -> Iterator[analyzer_pb2_grpc.AnalyzerStub]:
    """The pack's own __main__.py, started the way the CLI starts a Python pack, for the prod stack."""
    environ = {
        **os.environ,
        "PULUMI_PROJECT": "mcp-suite",
        "PULUMI_STACK": "prod",
        "PULUMI_DRY_RUN": "true",
        "PULUMI_CONFIG": json.dumps({"mcp-suite:requireImageDigests": "false"}),
    }
    process = subprocess.Popen(
        [sys.executable, "-u", "-m", "pulumi.policy", "127.0.0.1:0", "."],
        cwd=POLICY_DIR,
        env=environ,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        port = process.stdout.readline().strip()
        assert port.isdigit(), f"pack did not start: {port!r} {process.stderr.read() if process.stderr else ''}"
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            yield analyzer_pb2_grpc.AnalyzerStub(channel)
    finally:
        process.kill()
        process.wait()


def struct(props: dict[str, Any]) -> struct_pb2.Struct:
    value = struct_pb2.Struct()
    value.update(props)
    return value


def test_running_pack_describes_its_policies_as_mandatory(pack: analyzer_pb2_grpc.AnalyzerStub) -> None:
    info = pack.GetAnalyzerInfo(empty_pb2.Empty())
    assert info.name == PACK_NAME
    assert sorted(policy.name for policy in info.policies) == sorted(
        [rule.name for rule in RESOURCE_RULES] + [rule.name for rule in STACK_RULES]
    )
    assert {policy.enforcementLevel for policy in info.policies} == {analyzer_pb2.MANDATORY}


def analyze(
    pack: analyzer_pb2_grpc.AnalyzerStub, resource_type: str, props: dict[str, Any], **options: Any
) -> list[str]:
    request = analyzer_pb2.AnalyzeRequest(
        type=resource_type,
        name="subject",
        urn=f"urn:pulumi:prod::mcp-suite::{resource_type}::subject",
        properties=struct(props),
        options=analyzer_pb2.AnalyzerResourceOptions(**options),
    )
    return [f"{d.policyName}: {d.message.splitlines()[-1]}" for d in pack.Analyze(request).diagnostics]


def test_running_pack_refuses_a_non_conforming_resource(pack: analyzer_pb2_grpc.AnalyzerStub) -> None:
    assert analyze(pack, DEPLOYMENT, deployment()) == []
    rooted = changed(deployment(), ("spec.template.spec.containers.0.securityContext.runAsUser", 0))
    assert analyze(pack, DEPLOYMENT, rooted) == [
        "non-root: container 'web' runs as UID 0; set securityContext.runAsUser to a non-root UID"
    ]
    assert analyze(pack, CLAIM, {"spec": {}}, protect=True) == []
    assert analyze(pack, CLAIM, {"spec": {}}) == [
        "stateful-storage-protected: stateful storage is not protected; register it with protect (and retain_on_delete)"
    ]


def test_running_pack_checks_the_stack_as_a_whole(pack: analyzer_pb2_grpc.AnalyzerStub) -> None:
    request = analyzer_pb2.AnalyzeStackRequest(
        resources=[
            analyzer_pb2.AnalyzerResource(
                type=DEPLOYMENT,
                name="web",
                urn="urn:pulumi:prod::mcp-suite::kubernetes:apps/v1:Deployment::web",
                properties=struct(deployment()),
                options=analyzer_pb2.AnalyzerResourceOptions(),
            )
        ]
    )
    diagnostics = pack.AnalyzeStack(request).diagnostics
    assert (
        sorted((d.policyName, d.urn) for d in diagnostics)
        == [
            (
                "stateless-services-autoscaled-and-budgeted",
                "urn:pulumi:prod::mcp-suite::kubernetes:apps/v1:Deployment::web",
            )
        ]
        * 2
    )


def test_pack_source_never_builds_the_pack_on_import() -> None:
    assert "PolicyPack(" not in "".join(path.read_text() for path in (POLICY_DIR / "mcp_policies").glob("*.py"))
    assert "PolicyPack(" in (POLICY_DIR / "__main__.py").read_text()


PULUMI_RUN = re.compile(r"\bpulumi(_limited)?\s+(preview|up)\b")


def test_every_preview_and_update_in_scripts_and_workflows_runs_the_pack() -> None:
    """Scripts and CI workflows never run a preview or update without the pack (CI/CD adds the workflows)."""
    unguarded = []
    scripts = sorted(path for path in (PROJECT_DIR / "scripts").rglob("*") if path.is_file())
    for path in scripts:
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            code = line.split("#", 1)[0]
            if PULUMI_RUN.search(code) and "echo" not in code and "--policy-pack policy" not in code:
                unguarded.append(f"{path.relative_to(PROJECT_DIR)}:{number}")
    for path in sorted((PROJECT_DIR / ".github" / "workflows").glob("*.y*ml")):
        for job in (yaml.safe_load(path.read_text()) or {}).get("jobs", {}).values():
            for step in job.get("steps", []):
                inputs = step.get("with") or {}
                action_runs = str(step.get("uses", "")).startswith("pulumi/actions") and inputs.get("command") in (
                    "preview",
                    "up",
                )
                if action_runs and "policy" not in str(inputs.get("policyPacks", "")):
                    unguarded.append(f"{path.name}: step {step.get('name', step.get('uses'))}")
                run = str(step.get("run", ""))
                if PULUMI_RUN.search(run) and "--policy-pack policy" not in run:
                    unguarded.append(f"{path.name}: step {step.get('name', run[:40])}")
    assert unguarded == []
    assert any(PULUMI_RUN.search(path.read_text()) for path in scripts)
