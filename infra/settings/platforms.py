"""Settings of the Docker and Kubernetes targets' own sections (`docker`, `kubernetes`)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from components.spec import SpecModel
from infra.settings.patterns import DNS_LABEL


class DockerSettings(SpecModel):
    """Local Docker target (stack `dev`)."""

    host: str | None = None
    """Docker daemon address; unset means the provider's default (DOCKER_HOST or the local socket)."""


class KubernetesSettings(SpecModel):
    """Kubernetes target (stacks `staging`, `prod`)."""

    context: str | None = None
    """kubeconfig context; unset means the ambient kubeconfig's current context."""
    namespace: Annotated[str, Field(pattern=DNS_LABEL)] = "mcp-suite"
    """Namespace that holds the suite; labelled to enforce the restricted Pod Security level."""
