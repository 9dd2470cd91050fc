"""Image references: pinned by a version tag (never `latest`) or by digest, and by digest where a stack says so.

Deliberately independent of the program's own validation (components/spec.py): the policy pack runs in its own
environment and is a second, separate judge of what the program registers.
"""

from __future__ import annotations

import re

DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
IMAGE_ID = DIGEST
"""A content-addressed local image id (what docker `RemoteImage.imageId` holds) is pinned by construction."""
TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
MOVING_TAGS = frozenset({"latest"})
PIN_HINT = "pin a version tag or an @sha256 digest"


def image_problems(reference: str, *, digests_required: bool) -> list[str]:
    """What is wrong with an image reference, as messages naming the image and the fix; empty when it is fine."""
    if IMAGE_ID.match(reference):
        return []
    name, at, digest = reference.partition("@")
    problems: list[str] = []
    if at and not DIGEST.match(digest):
        problems.append(f"image '{reference}' has a malformed digest; expected @sha256: and 64 lowercase hex digits")
    last_segment = name.rsplit("/", 1)[-1]
    tag = last_segment.rsplit(":", 1)[1] if ":" in last_segment else None
    if tag is not None and not TAG.match(tag):
        problems.append(f"image '{reference}' has a malformed tag '{tag}'")
    if not at and tag is None:
        problems.append(f"image '{reference}' is not pinned; {PIN_HINT}")
    elif not at and tag in MOVING_TAGS:
        problems.append(f"image '{reference}' uses the moving tag '{tag}'; {PIN_HINT}")
    if digests_required and not at:
        problems.append(
            f"image '{reference}' has no @sha256 digest and this stack requires digests (requireImageDigests); "
            "pin the digest published for the tag"
        )
    return problems
