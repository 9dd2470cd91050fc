"""The table of targets: each target's traits, the settings rules only it has, and the module that composes it.

The program, the settings and the command-line tools read this table; nothing else branches on a target's name.
Compose modules are named, not imported, so a stack imports only its own target's provider SDK.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from components.render.backup import daily_or_hourly
from infra.settings.koyeb import koyeb_target_problems
from infra.settings.problems import Problem

if TYPE_CHECKING:
    from infra.settings.model import Settings

TargetName = Literal["docker", "kubernetes", "koyeb"]


@dataclass(frozen=True)
class TargetEntry:
    """One deployment target."""

    name: TargetName
    has_volumes: bool
    """Named volumes or claims exist, so stateful services run and backups have something to save."""
    runs_monitoring: bool
    """The suite deploys its own monitoring stack here."""
    has_ingress_host: bool
    """A public ingress host (`network.ingressHost`) is required: the gateway serves it, the edge forwards to it."""
    pushes_images: bool
    """Workloads pull from a registry, so the images the suite builds are pushed there and run by digest."""
    compose: str
    """`module:function` that registers the target's resources; imported only for stacks on this target."""
    rules: Callable[[Settings], list[Problem]]
    """Settings problems that only this target has, checked once every section has validated."""


def _docker_rules(settings: Settings) -> list[Problem]:
    schedule = settings.backup.schedule
    if settings.backs_up and daily_or_hourly(schedule) is None:
        return [
            Problem(
                path="backup.schedule",
                message=f"{schedule!r}: the Docker backup container runs daily (`M H * * *`) or hourly "
                "(`M * * * *`) schedules, in UTC",
            )
        ]
    return []


def _kubernetes_rules(settings: Settings) -> list[Problem]:
    problems: list[Problem] = []
    if settings.backs_up and settings.backup.repository is None:
        problems.append(
            Problem(
                path="backup.repository",
                message="required on Kubernetes stacks: set an S3 repository, e.g. `pulumi config set --path "
                f"backup.repository s3:https://<endpoint>/<bucket>/{settings.name_prefix}`",
            )
        )
    if settings.backs_up and settings.storage.access_mode == "ReadWriteOncePod":
        problems.append(
            Problem(
                path="storage.accessMode",
                message="ReadWriteOncePod lets no backup pod mount a claim beside its service; use ReadWriteOnce "
                "or ReadWriteMany, or turn backups off with `backup.enabled: false`",
            )
        )
    if settings.monitoring.enabled and settings.monitoring.namespace == settings.kubernetes.namespace:
        problems.append(
            Problem(
                path="monitoring.namespace",
                message=f"is the services' namespace '{settings.kubernetes.namespace}', which enforces the "
                "restricted Pod Security level that node-exporter cannot meet; pick another namespace",
            )
        )
    return problems


def _koyeb_rules(settings: Settings) -> list[Problem]:
    problems = koyeb_target_problems(settings.koyeb, settings.koyeb_app_name, list(settings.services))
    if settings.monitoring.enabled:
        problems.append(
            Problem(
                path="monitoring.enabled",
                message="the koyeb target runs no monitoring stack (Koyeb shows logs and metrics in its "
                "console); set it to false",
            )
        )
    return problems


TARGETS: dict[TargetName, TargetEntry] = {
    "docker": TargetEntry(
        name="docker",
        has_volumes=True,
        runs_monitoring=True,
        has_ingress_host=False,
        pushes_images=False,
        compose="infra.targets.docker:compose_docker",
        rules=_docker_rules,
    ),
    "kubernetes": TargetEntry(
        name="kubernetes",
        has_volumes=True,
        runs_monitoring=True,
        has_ingress_host=True,
        pushes_images=True,
        compose="infra.targets.kubernetes:compose_kubernetes",
        rules=_kubernetes_rules,
    ),
    # Koyeb runs no stateful service of its own (docs/koyeb.md), so it has nothing to back up.
    "koyeb": TargetEntry(
        name="koyeb",
        has_volumes=False,
        runs_monitoring=False,
        has_ingress_host=False,
        pushes_images=True,
        compose="infra.targets.koyeb:compose_koyeb",
        rules=_koyeb_rules,
    ),
}


def ingress_host_problems(settings: Settings) -> list[Problem]:
    """A target with an ingress host needs it named."""
    if not TARGETS[settings.target].has_ingress_host or settings.network.ingress_host is not None:
        return []
    return [
        Problem(
            path="network.ingressHost",
            message=f"required for the {settings.target} target: the public hostname the Ingress serves "
            "(the edge's origin), e.g. `pulumi config set --path network.ingressHost mcp-origin.example.com`",
        )
    ]


def target_entry(name: object) -> TargetEntry | None:
    """The entry of a configured target name, or None for a name that is not a target (settings report it)."""
    return next((entry for entry in TARGETS.values() if entry.name == name), None)
