"""`load_settings`: raw config in, `Settings` out, or every problem at once before any resource exists."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from pydantic import ValidationError

from components.render.image_build import PROJECT_DIR
from infra.settings.backup import backup_secrets
from infra.settings.catalog import caller_problems, merged_catalog, service_secrets, service_specs
from infra.settings.catalog_file import catalog_source
from infra.settings.edge import (
    client_scope_problems,
    edge_deployment,
    edge_secrets,
    origin_problems,
    recorded_tools_problems,
    scope_tool_problems,
)
from infra.settings.images import image_build_problems
from infra.settings.keys import decode_keys
from infra.settings.koyeb import external_store_problems
from infra.settings.model import ClusterPlan, Settings
from infra.settings.monitoring import monitoring_secrets
from infra.settings.problems import Problem, SettingsError, sorted_unique, validation_problems
from infra.settings.targets import TARGETS, ingress_host_problems, target_entry
from infra.tool_surface import read_manifest, recorded_tool_names


def load_settings(
    stack: str,
    raw: Mapping[str, str],
    secret_keys: frozenset[str] = frozenset(),
    *,
    placeholder_secrets: bool = False,
    project_dir: Path | None = None,
) -> Settings:
    """Validate raw config (`{"mcp-suite:key": "value"}`) into Settings, or raise SettingsError with every problem.

    `secret_keys` are the fully qualified keys the engine reports as secret. With `placeholder_secrets`
    (credential-free renders), declared secret values that are missing get a marked placeholder. `catalogFile`
    is read from `project_dir` (default: the directory of Pulumi.yaml).
    """
    config, problems = decode_keys(raw, secret_keys)
    values = config.values
    entry = target_entry(values.get("target"))
    source, found = catalog_source(config, project_dir)
    problems += found
    if source is None:
        # Without its catalog, nothing that names a service can be checked: the file's problems come first.
        raise SettingsError(stack, sorted_unique(problems))
    catalog, found = merged_catalog(config, source)
    problems += found
    services_secret, found = service_secrets(config, catalog, placeholder_secrets)
    problems += found
    edge_secret, found = edge_secrets(config, entry is not None and entry.has_ingress_host, placeholder_secrets)
    problems += found
    backup_secret, found = backup_secrets(config, entry is not None and entry.has_volumes, placeholder_secrets)
    problems += found
    monitoring_secret, found = monitoring_secrets(config, entry is None or entry.runs_monitoring, placeholder_secrets)
    problems += found
    specs, found = service_specs(catalog, values.get("requireImageDigests") is True)
    problems += found
    document = {
        "stack": stack,
        "target": values.get("target"),
        "protectStatefulData": values.get("protectStatefulData"),
        "requireImageDigests": values.get("requireImageDigests", False),
        "services": (),
        "disabledServices": catalog.disabled,
        "serviceSecrets": services_secret,
        "images": config.section("images"),
        "docker": config.section("docker"),
        "kubernetes": config.section("kubernetes"),
        "storage": config.section("storage"),
        "backup": config.section("backup"),
        "backupSecrets": backup_secret,
        "koyeb": config.section("koyeb"),
        "network": config.section("network"),
        "monitoring": config.section("monitoring"),
        "monitoringSecrets": monitoring_secret,
        "edge": config.section("edge"),
        "edgeSecrets": edge_secret,
    }
    try:
        # The specs validated above; setting them after validation spares validating each one twice.
        settings = Settings.model_validate(document).model_copy(update={"services": tuple(specs)})
    except ValidationError as error:
        # A key that failed to decode (or a service that failed) is reported once, not again as a bad field.
        reported = {problem.path.split(".")[0] for problem in problems}
        problems += [problem for problem in validation_problems(error) if problem.path.split(".")[0] not in reported]
        settings = None
    if settings is not None:
        problems += _cross_section_problems(settings, sorted(catalog.bodies))
        problems += TARGETS[settings.target].rules(settings)
        problems += ingress_host_problems(settings)
    problems += caller_problems(catalog, specs)
    if problems or settings is None:
        raise SettingsError(stack, sorted_unique(problems))
    return settings.model_copy(
        update={
            "cluster": ClusterPlan(
                ingress_host=settings.network.ingress_host,
                backup_repository=settings.backup.repository if settings.backs_up else None,
            )
            if TARGETS[settings.target].has_ingress_host and settings.network.ingress_host is not None
            else None,
            "edge_deployment": edge_deployment(
                settings.edge, settings.edge_secrets, settings.network.ingress_host, placeholder_secrets
            ),
        }
    )


def _cross_section_problems(settings: Settings, enabled: list[str]) -> list[Problem]:
    """Rules that join sections on every target."""
    problems = external_store_problems(settings.koyeb, enabled, list(settings.services))
    entry = TARGETS[settings.target]
    problems += image_build_problems(list(settings.services), settings.images, entry.name, entry.pushes_images)
    if settings.edge.enabled:
        services = [spec.name for spec in settings.services]
        problems += client_scope_problems(settings.edge, settings.edge_secrets, services)
        problems += origin_problems(settings.edge, settings.network.ingress_host)
        if settings.edge.recorded_tools_only or any(scope.tools for scope in settings.edge.client_scopes.values()):
            recorded = recorded_tool_names(settings.services, read_manifest(PROJECT_DIR))
            problems += scope_tool_problems(settings.edge, recorded)
            problems += recorded_tools_problems(settings.edge, [name for name in services if name not in recorded])
    secrets = settings.backup_secrets
    if secrets is not None and (secrets.s3_access_key_id is None) != (secrets.s3_secret_access_key is None):
        problems.append(
            Problem(path="backupSecrets", message="set both s3AccessKeyId and s3SecretAccessKey, or neither")
        )
    return problems
