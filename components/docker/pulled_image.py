"""A published image pulled into the local engine, and the reference a container runs it by."""

from __future__ import annotations

import pulumi
import pulumi_docker as docker


def pulled_image(name: str, reference: str, opts: pulumi.ResourceOptions | None = None) -> pulumi.Output[str]:
    """Pulls `reference` (a pinned tag or digest) and returns that same reference for a container's `image`.

    The reference rather than the pull's `image_id`: the id is unknown until the pull has run, so a preview, and
    the policy pack judging it, could not see which image a new container runs. The reference is known at preview
    and names the same content, being pinned. Derived from the pull's URN, so each container still waits for its
    pull."""
    image = docker.RemoteImage(name, name=reference, keep_locally=True, opts=opts)
    return image.urn.apply(lambda _: reference)
