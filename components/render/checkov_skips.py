"""checkov skip annotations for the suite's workloads: each skip names the check and says why it does not apply yet.

checkov reads `checkov.io/skip<N>: <CHECK_ID>=<reason>` from an object's annotations. Every skip here has a line
in docs/policy.md, and the conformance test fails when a skip is no longer needed (the check would pass without it).
"""

from __future__ import annotations

from components.spec import ServiceSpec, split_image_reference

ANNOTATION_PREFIX = "checkov.io/skip"
IMAGE_DIGEST = "CKV_K8S_43"
SECRETS_AS_ENV = "CKV_K8S_35"
REASONS = {
    IMAGE_DIGEST: "tag-pinned until Renovate pins the published digest; requireImageDigests then enforces it",
    SECRETS_AS_ENV: "the server reads its secretEnv as environment variables; they come from a Secret via envFrom",
}


def image_skips(image: str) -> dict[str, str]:
    """The digest check's skip for a tag-pinned image (a workload of the suite or of its monitoring)."""
    return {IMAGE_DIGEST: REASONS[IMAGE_DIGEST]} if split_image_reference(image)[2] is None else {}


def workload_skips(spec: ServiceSpec) -> dict[str, str]:
    """Check id -> reason, for the checks the service's workload does not meet yet."""
    # A built image runs by the digest its push returns.
    skips = image_skips(spec.image) if spec.image is not None else {}
    if spec.secret_env:
        skips[SECRETS_AS_ENV] = REASONS[SECRETS_AS_ENV]
    return skips


def skip_annotations(skips: dict[str, str]) -> dict[str, str]:
    return {
        f"{ANNOTATION_PREFIX}{number}": f"{check}={reason}"
        for number, (check, reason) in enumerate(sorted(skips.items()), start=1)
    }
