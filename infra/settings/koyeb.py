"""The `koyeb` section, and what the Koyeb target refuses: validated with the rest of the stack's settings."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import Field, field_validator

from components.render.koyeb_platform import (
    APP_NAME_PATTERN,
    DEFAULT_P95_LATENCY_MS,
    KoyebInstanceType,
    KoyebRegion,
)
from components.spec import ENV_NAME, ServiceSpec, SpecModel, Tier
from infra.settings.problems import Problem

DEFAULT_REGIONS: tuple[KoyebRegion, ...] = ("fra",)


class ExternalStore(SpecModel):
    """Where a stateful service keeps its data when the target offers no volume for it (Koyeb)."""

    description: Annotated[str, Field(min_length=1)]
    """What and where the store is, for reviewers (for example `managed Postgres, eu, daily backups`)."""
    url_env: Annotated[str, Field(pattern=ENV_NAME.pattern)]
    """The service's `env` or `secretEnv` name that points the server at the store."""


class KoyebSettings(SpecModel):
    """Koyeb target: one Koyeb App holding one Koyeb Service per catalog service."""

    app_name: Annotated[str, Field(pattern=APP_NAME_PATTERN)] | None = None
    """Koyeb App name (3-23 characters, DNS label); unset means `mcp-<stack>`."""
    regions: Annotated[list[KoyebRegion], Field(min_length=1)] = Field(default_factory=lambda: list(DEFAULT_REGIONS))
    """Regions every service runs in; the autoscaling bounds apply per region."""
    instance_types: dict[Tier, KoyebInstanceType] = Field(default_factory=dict)
    """Instance type per size tier; tiers left out get the smallest Standard type covering the tier's limits."""
    p95_latency_target_ms: Annotated[int, Field(ge=1, le=60000)] | None = DEFAULT_P95_LATENCY_MS
    """Autoscale when the p95 response time passes this many milliseconds; null scales on CPU only."""
    external_stores: dict[str, ExternalStore] = Field(default_factory=dict)
    """Stateful services whose data lives in an external store, by service name; any other stateful service is
    refused on Koyeb, which offers no volume for it."""

    @field_validator("regions")
    @classmethod
    def _unique_regions(cls, regions: list[KoyebRegion]) -> list[KoyebRegion]:
        twice = sorted({region for region in regions if regions.count(region) > 1})
        if twice:
            raise ValueError(f"lists {', '.join(twice)} more than once; list each region once")
        return regions


def external_store_problems(koyeb: KoyebSettings, enabled: list[str], specs: list[ServiceSpec]) -> list[Problem]:
    """An external store must belong to an enabled stateful service and be handed to it through its env.

    `enabled` names every enabled service, `specs` those that validated.
    """
    problems: list[Problem] = []
    by_name = {spec.name: spec for spec in specs}
    for name, store in koyeb.external_stores.items():
        path = f"koyeb.externalStores.{name}"
        spec = by_name.get(name)
        if name not in enabled:
            problems.append(
                Problem(path=path, message=f"no enabled service named '{name}'; known: {', '.join(enabled) or 'none'}")
            )
        elif spec is None:
            continue
        elif not spec.stateful:
            problems.append(Problem(path=path, message=f"'{name}' is not stateful; remove this entry"))
        elif store.url_env not in spec.env and store.url_env not in spec.secret_env:
            problems.append(
                Problem(
                    path=f"{path}.urlEnv",
                    message=f"'{store.url_env}' is not in services.{name}.env or secretEnv, so the server would "
                    "never learn where its store is; declare it there (in secretEnv if it holds credentials)",
                )
            )
    return problems


def koyeb_target_problems(koyeb: KoyebSettings, app_name: str, specs: list[ServiceSpec]) -> list[Problem]:
    """What the Koyeb target cannot deploy faithfully, found before any resource exists."""
    problems: list[Problem] = []
    if not re.match(APP_NAME_PATTERN, app_name):
        problems.append(
            Problem(
                path="koyeb.appName",
                message=f"the default '{app_name}' is not a valid Koyeb app name "
                "(3-23 lowercase letters, digits and '-'); set koyeb.appName",
            )
        )
    for spec in specs:
        if spec.stateful and spec.name not in koyeb.external_stores:
            problems.append(
                Problem(
                    path=f"services.{spec.name}",
                    message="is stateful, and Koyeb offers no volume for its data here: every redeploy or restart "
                    "would lose it. Map it to an external store with "
                    f"`koyeb.externalStores.{spec.name}: {{description, urlEnv}}` if the server can use one, "
                    "or leave it out of this stack with `disabledServices`",
                )
            )
        if "PORT" in spec.env or "PORT" in spec.secret_env:
            problems.append(
                Problem(
                    path=f"services.{spec.name}.env.PORT",
                    message=f"the Koyeb target sets PORT to the service's port ({spec.port}); remove it",
                )
            )
    return problems
