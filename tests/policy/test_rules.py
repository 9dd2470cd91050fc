"""Each rule on known-good resources (no violation) and on each way of breaking them (the exact complaint)."""

from __future__ import annotations

from typing import Any

import pytest

from policy.mcp_policies import RESOURCE_RULES, RuleContext
from tests.policy.resources import (
    CLAIM,
    CONFIG_MAP,
    CRON_JOB,
    DEPLOYMENT,
    DIGESTS,
    DNS_RECORD,
    DOCKER_CONTAINER,
    DOCKER_IMAGE,
    DOCKER_VOLUME,
    HELM_RELEASE,
    PROD,
    STATEFUL_SET,
    SYNTHETIC_DIGEST,
    changed,
    container,
    cron_job,
    deployment,
    docker_container,
    violations,
)

CONTAINER = "spec.template.spec.containers.0"
POD = "spec.template.spec"

GOOD = [
    pytest.param(DEPLOYMENT, deployment(), PROD, id="hardened-deployment-in-prod"),
    pytest.param(CRON_JOB, cron_job(), PROD, id="cron-job-without-probes"),
    pytest.param(DOCKER_CONTAINER, docker_container(), PROD, id="hardened-docker-container"),
    pytest.param(DOCKER_IMAGE, {"name": "docker.io/example/web:1.2.3"}, PROD, id="tagged-remote-image"),
    pytest.param(
        DEPLOYMENT,
        changed(deployment(), (f"{CONTAINER}.image", f"example.invalid/web:1.2.3@{SYNTHETIC_DIGEST}")),
        DIGESTS,
        id="digest-pinned-where-required",
    ),
    pytest.param(
        DEPLOYMENT,
        changed(deployment(), (f"{CONTAINER}.securityContext.capabilities.add", ["NET_BIND_SERVICE"])),
        PROD,
        id="net-bind-service-added-back",
    ),
    pytest.param(CONFIG_MAP, {"data": {"LOG_LEVEL": "info", "TOKEN_FILE": ""}}, PROD, id="plain-config-map"),
    pytest.param(
        CLAIM, {"spec": {}}, RuleContext(production=False, digests_required=False), id="unprotected-claim-staging"
    ),
    pytest.param(DNS_RECORD, {"type": "CNAME", "name": "mcp", "proxied": True}, PROD, id="proxied-cname"),
    pytest.param(DNS_RECORD, {"type": "TXT", "name": "_verify", "proxied": False}, PROD, id="txt-cannot-be-proxied"),
    pytest.param(HELM_RELEASE, {"chart": "kube-prometheus-stack", "version": "79.1.0"}, PROD, id="pinned-chart"),
]


@pytest.mark.parametrize(("resource_type", "props", "context"), GOOD)
def test_good_resources_pass_every_rule(resource_type: str, props: dict[str, Any], context: RuleContext) -> None:
    assert {rule.name: violations(rule.name, resource_type, props, context) for rule in RESOURCE_RULES} == {
        rule.name: [] for rule in RESOURCE_RULES
    }


def test_protected_claim_passes_in_prod() -> None:
    assert violations("stateful-storage-protected", CLAIM, {"spec": {}}, PROD, protect=True) == []


BAD = [
    # images
    (
        "images-pinned",
        DEPLOYMENT,
        [(f"{CONTAINER}.image", "docker.io/example/web:latest")],
        "uses the moving tag 'latest'",
    ),
    ("images-pinned", DEPLOYMENT, [(f"{CONTAINER}.image", "docker.io/example/web")], "is not pinned"),
    ("images-pinned", DEPLOYMENT, [(f"{CONTAINER}.image", "docker.io/example/web@sha256:abc")], "malformed digest"),
    ("images-pinned", DEPLOYMENT, [(f"{CONTAINER}.image", None)], "container 'web' names no image"),
    (
        "images-pinned",
        DEPLOYMENT,
        [(f"{POD}.initContainers", [{**container("init"), "image": "busybox"}])],
        "init container 'init': image 'busybox' is not pinned",
    ),
    ("images-pinned", DOCKER_CONTAINER, [("image", "nginx:latest")], "uses the moving tag 'latest'"),
    # identity and privileges
    ("non-root", DEPLOYMENT, [(f"{CONTAINER}.securityContext.runAsNonRoot", False)], "may run as root"),
    ("non-root", DEPLOYMENT, [(f"{CONTAINER}.securityContext.runAsUser", 0)], "runs as UID 0"),
    ("non-root", DOCKER_CONTAINER, [("user", "root")], "container runs as 'root'"),
    ("non-root", DOCKER_CONTAINER, [("user", None)], "the image default"),
    (
        "read-only-root-filesystem",
        DEPLOYMENT,
        [(f"{CONTAINER}.securityContext.readOnlyRootFilesystem", None)],
        "writable root filesystem",
    ),
    ("read-only-root-filesystem", DOCKER_CONTAINER, [("readOnly", False)], "writable root filesystem"),
    ("capabilities-dropped", DEPLOYMENT, [(f"{CONTAINER}.securityContext.capabilities", None)], "drop: [ALL]"),
    (
        "capabilities-dropped",
        DEPLOYMENT,
        [(f"{CONTAINER}.securityContext.capabilities.add", ["NET_ADMIN"])],
        "adds capabilities ['NET_ADMIN']",
    ),
    ("capabilities-dropped", DOCKER_CONTAINER, [("capabilities", {"drops": []})], "drops: [ALL]"),
    (
        "capabilities-dropped",
        DOCKER_CONTAINER,
        [("capabilities", {"drops": ["ALL"], "adds": ["SYS_ADMIN"]})],
        "adds capabilities ['SYS_ADMIN']",
    ),
    (
        "no-privilege-escalation",
        DEPLOYMENT,
        [(f"{CONTAINER}.securityContext.allowPrivilegeEscalation", None)],
        "allowPrivilegeEscalation: false",
    ),
    ("no-privilege-escalation", DEPLOYMENT, [(f"{CONTAINER}.securityContext.privileged", True)], "is privileged"),
    ("no-privilege-escalation", DOCKER_CONTAINER, [("securityOpts", [])], "no-new-privileges:true"),
    ("no-privilege-escalation", DOCKER_CONTAINER, [("privileged", True)], "container is privileged"),
    (
        "seccomp-runtime-default",
        DEPLOYMENT,
        [(f"{CONTAINER}.securityContext.seccompProfile", None), (f"{POD}.securityContext.seccompProfile", None)],
        "runs without a seccomp profile",
    ),
    (
        "seccomp-runtime-default",
        DEPLOYMENT,
        [(f"{CONTAINER}.securityContext.seccompProfile.type", "Unconfined")],
        "runs seccomp profile 'Unconfined'",
    ),
    (
        "seccomp-runtime-default",
        DOCKER_CONTAINER,
        [("securityOpts", ["no-new-privileges:true", "seccomp=unconfined"])],
        "seccomp:unconfined",
    ),
    # resources and health
    ("resources-bounded", DEPLOYMENT, [(f"{CONTAINER}.resources.limits", None)], "no limits.cpu, limits.memory"),
    ("resources-bounded", DEPLOYMENT, [(f"{CONTAINER}.resources", None)], "no requests.cpu, requests.memory"),
    ("resources-bounded", DOCKER_CONTAINER, [("memoryReservation", None)], "no memoryReservation"),
    ("resources-bounded", DOCKER_CONTAINER, [("cpus", None)], "no cpus"),
    ("probes-present", DEPLOYMENT, [(f"{CONTAINER}.readinessProbe", None)], "has no readinessProbe"),
    ("probes-present", DEPLOYMENT, [(f"{CONTAINER}.livenessProbe", None)], "has no livenessProbe"),
    ("probes-present", DOCKER_CONTAINER, [("healthcheck", {"tests": ["NONE"]})], "no health check"),
    # host access
    ("no-host-access", DEPLOYMENT, [(f"{POD}.hostNetwork", True)], "hostNetwork: true"),
    ("no-host-access", DEPLOYMENT, [(f"{POD}.hostPID", True)], "hostPID: true"),
    (
        "no-host-access",
        DEPLOYMENT,
        [(f"{POD}.volumes", [{"name": "docker", "hostPath": {"path": "/var/run/docker.sock"}}])],
        "volume 'docker' is a hostPath",
    ),
    (
        "no-host-access",
        DEPLOYMENT,
        [(f"{CONTAINER}.ports", [{"containerPort": 8000, "hostPort": 8000}])],
        "binds host port 8000",
    ),
    ("no-host-access", DOCKER_CONTAINER, [("networkMode", "host")], "host's network"),
    ("no-host-access", DOCKER_CONTAINER, [("ports", [{"internal": 8000, "external": 8000}])], "published on '0.0.0.0'"),
    (
        "no-host-access",
        DOCKER_CONTAINER,
        [("mounts", [{"type": "bind", "source": "/etc", "target": "/host-etc"}])],
        "host path '/etc' is bind-mounted",
    ),
    ("no-host-access", DOCKER_CONTAINER, [("volumes", [{"hostPath": "/srv", "containerPath": "/data"}])], "'/srv'"),
    # secrets
    (
        "no-plaintext-secret-env",
        DEPLOYMENT,
        [(f"{CONTAINER}.env", [{"name": "GITHUB_TOKEN", "value": "not-really-a-token"}])],
        "env 'GITHUB_TOKEN' holds a literal secret value",
    ),
    (
        "no-plaintext-secret-env",
        DEPLOYMENT,
        [(f"{CONTAINER}.env", [{"name": "UPSTREAM", "value": "AKIA" + "ABCDEFGHIJKLMNOP"}])],
        "env 'UPSTREAM' holds a literal secret value",
    ),
    ("no-plaintext-secret-env", CONFIG_MAP, [("data", {"DB_PASSWORD": "hunter2"})], "key 'DB_PASSWORD'"),
    (
        "no-plaintext-secret-env",
        DOCKER_CONTAINER,
        [("envs", ["HOME=/tmp", "API_KEY=not-really-a-key"])],
        "env ['API_KEY'] carry secrets",
    ),
    # edge
    ("dns-records-proxied", DNS_RECORD, [("type", "A"), ("name", "mcp"), ("proxied", False)], "A record 'mcp'"),
    ("dns-records-proxied", DNS_RECORD, [("type", "CNAME"), ("name", "mcp")], "set proxied: true"),
    ("charts-pinned", HELM_RELEASE, [("chart", "loki"), ("version", "^6.0.0")], "'^6.0.0' is not an exact"),
    ("charts-pinned", HELM_RELEASE, [("chart", "loki")], "None is not an exact version"),
]

BASES = {
    DEPLOYMENT: deployment,
    DOCKER_CONTAINER: docker_container,
    CONFIG_MAP: dict,
    DNS_RECORD: dict,
    HELM_RELEASE: dict,
}


@pytest.mark.parametrize(
    ("rule_name", "resource_type", "edits", "complaint"),
    [pytest.param(*case, id=f"{case[0]}:{case[3][:40]}") for case in BAD],
)
def test_each_way_of_breaking_a_resource_is_named(
    rule_name: str, resource_type: str, edits: list[tuple[str, Any]], complaint: str
) -> None:
    props = changed(BASES[resource_type](), *edits)
    found = violations(rule_name, resource_type, props)
    assert len(found) == 1 and complaint in found[0], found
    others = {
        rule.name for rule in RESOURCE_RULES if rule.name != rule_name and violations(rule.name, resource_type, props)
    }
    assert others == set(), f"one defect, one rule: {others} complained too"


def test_digests_are_required_only_where_the_stack_says_so() -> None:
    tagged = deployment()
    assert violations("images-pinned", DEPLOYMENT, tagged) == []
    found = violations("images-pinned", DEPLOYMENT, tagged, DIGESTS)
    assert found == [
        "container 'web': image 'docker.io/example/web:1.2.3' has no @sha256 digest and this stack requires digests "
        "(requireImageDigests); pin the digest published for the tag"
    ]
    assert violations("images-pinned", DOCKER_IMAGE, {"name": "docker.io/example/web:1.2.3"}, DIGESTS) != []


def test_a_container_image_id_is_pinned_by_content() -> None:
    assert violations("images-pinned", DOCKER_CONTAINER, docker_container(), DIGESTS) == []


def test_docker_env_with_secrets_passes_once_env_is_a_secret_output() -> None:
    props = changed(docker_container(), ("envs", ["HOME=/tmp", "API_KEY=not-really-a-key"]))
    assert violations("no-plaintext-secret-env", DOCKER_CONTAINER, props) != []
    assert violations("no-plaintext-secret-env", DOCKER_CONTAINER, props, additional_secret_outputs=("envs",)) == []


def test_storage_must_be_protected_in_prod_only() -> None:
    for resource_type in (CLAIM, DOCKER_VOLUME, "cloudflare:index/workersKvNamespace:WorkersKvNamespace"):
        assert violations("stateful-storage-protected", resource_type, {}) == []
        assert violations("stateful-storage-protected", resource_type, {}, PROD) == [
            "stateful storage is not protected; register it with protect (and retain_on_delete)"
        ]
        assert violations("stateful-storage-protected", resource_type, {}, PROD, protect=True) == []


def test_stateful_sets_in_prod_keep_their_claims() -> None:
    props = {
        "spec": {
            "volumeClaimTemplates": [{"metadata": {"name": "data"}}],
            "persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Delete", "whenScaled": "Retain"},
        }
    }
    assert violations("stateful-storage-protected", STATEFUL_SET, props) == []
    found = violations("stateful-storage-protected", STATEFUL_SET, props, PROD)
    assert len(found) == 2
    assert "volumeClaimTemplates create claims Pulumi cannot protect" in found[0]
    assert found[1] == "persistentVolumeClaimRetentionPolicy.whenDeleted is Delete; set it to Retain"


def test_jobs_need_no_probes_but_long_running_pods_do() -> None:
    assert violations("probes-present", CRON_JOB, cron_job()) == []
    probeless = changed(deployment(), (f"{CONTAINER}.livenessProbe", None), (f"{CONTAINER}.readinessProbe", None))
    assert len(violations("probes-present", DEPLOYMENT, probeless)) == 2


def test_cron_job_containers_are_held_to_the_same_security_standards() -> None:
    props = changed(
        cron_job(), ("spec.jobTemplate.spec.template.spec.containers.0.securityContext.runAsNonRoot", False)
    )
    assert violations("non-root", CRON_JOB, props) == [
        "container 'web' may run as root; set securityContext.runAsNonRoot: true"
    ]
