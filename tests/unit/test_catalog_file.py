"""`catalogFile`: a catalog too large for the engine's one config variable, read from a YAML file of the project."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from infra import stack_files
from infra.settings import SettingsError, load_settings
from infra.settings.catalog_file import SAFE_LOADER
from infra.stack_files import PROJECT_DIR, read_stack_config
from tests.helpers.stacks import evaluate_stack

CATALOG_PATH = "catalog/services.yaml"
STATELESS = {"transport": "stdio", "bridge": {}, "port": 8000, "sessions": "stateless"}
FILE_CATALOG: dict[str, Any] = {
    "thinking": {"build": {"server": "sequential-thinking"}, **STATELESS, "replicas": {"min": 1, "max": 3}},
    "echo": {"build": {"server": "everything"}, **STATELESS, "tier": "medium", "secretEnv": ["API_TOKEN"]},
    "spare": {"build": {"server": "everything"}, **STATELESS},
}
"""None of the names is in Pulumi.yaml's default catalog, so a service deployed from it came from the file."""
IN_PROJECT = (
    "the catalog must be a file of the project, so that previews and `python -m infra diff` at a git ref see it"
)
MAX_ARG_STRLEN = 128 * 1024


def project(root: Path, catalog: str | None = None) -> Path:
    """A copy of the project's Pulumi.yaml and dev stack, with `catalog` (text) at CATALOG_PATH."""
    root.mkdir(parents=True, exist_ok=True)
    for name in ("Pulumi.yaml", "Pulumi.dev.yaml"):
        shutil.copy(PROJECT_DIR / name, root / name)
    if catalog is not None:
        (root / CATALOG_PATH).parent.mkdir(parents=True, exist_ok=True)
        (root / CATALOG_PATH).write_text(catalog)
    return root


def raw(**overrides: Any) -> dict[str, str]:
    """The dev stack's config as the engine passes it (with Pulumi.yaml's defaults), monitoring and backups off."""
    values = {
        **read_stack_config("dev").values,
        "mcp-suite:monitoring": json.dumps({"enabled": False}),
        "mcp-suite:backup": json.dumps({"enabled": False}),
    }
    for key, value in overrides.items():
        values[f"mcp-suite:{key}"] = value if isinstance(value, str) else json.dumps(value)
    return values


def problems_of(raw_config: dict[str, str], project_dir: Path) -> list[str]:
    with pytest.raises(SettingsError) as caught:
        load_settings("dev", raw_config, placeholder_secrets=True, project_dir=project_dir)
    return [f"{problem.path}: {problem.message}" for problem in caught.value.problems]


def test_the_files_catalog_is_the_stacks_and_overrides_disabled_services_and_secrets_apply_to_it(
    tmp_path: Path,
) -> None:
    root = project(tmp_path, yaml.safe_dump(FILE_CATALOG))
    config = raw(
        catalogFile=CATALOG_PATH,
        serviceOverrides={"thinking": {"replicas": {"max": 7}, "tier": "large"}},
        disabledServices=["spare"],
        serviceSecrets={"echo": {"API_TOKEN": "hunter2"}},
    )
    settings = load_settings("dev", config, frozenset({"mcp-suite:serviceSecrets"}), project_dir=root)
    assert [spec.name for spec in settings.services] == ["echo", "thinking"]
    assert settings.disabled_services == ["spare"]
    thinking = next(spec for spec in settings.services if spec.name == "thinking")
    assert (thinking.replicas.min, thinking.replicas.max, thinking.tier) == (1, 7, "large")
    assert settings.secret_value("echo", "API_TOKEN") == "hunter2"


def test_the_rules_of_services_hold_for_the_files_catalog(tmp_path: Path) -> None:
    root = project(tmp_path, yaml.safe_dump({**FILE_CATALOG, "thinking": {**FILE_CATALOG["thinking"], "tier": "huge"}}))
    config = raw(catalogFile=CATALOG_PATH, serviceOverrides={"everything": {"tier": "large"}})
    assert problems_of(config, root) == [
        "serviceOverrides.everything: no service named 'everything'; known: echo, spare, thinking",
        "services.thinking.tier: Input should be 'small', 'medium' or 'large' (got 'huge')",
    ]


def test_yaml_values_json_cannot_hold_are_their_text_as_under_services(tmp_path: Path) -> None:
    body = {**FILE_CATALOG["thinking"], "env": {"RELEASED": "DATE"}}
    root = project(tmp_path, yaml.safe_dump({"thinking": body}).replace("DATE", "2026-01-01"))
    settings = load_settings("dev", raw(catalogFile=CATALOG_PATH), project_dir=root)
    assert settings.services[0].env == {"RELEASED": "2026-01-01"}


def test_without_catalog_file_the_catalog_is_services(tmp_path: Path) -> None:
    root = project(tmp_path, yaml.safe_dump(FILE_CATALOG))
    settings = load_settings("dev", raw(), project_dir=root)
    assert [spec.name for spec in settings.services] == ["everything", "filesystem", "memory", "sequential-thinking"]


def test_a_stack_that_also_sets_services_is_told_to_keep_the_catalog_in_one_place(tmp_path: Path) -> None:
    root = project(tmp_path, yaml.safe_dump(FILE_CATALOG))
    stack_services = {"everything": json.loads(raw()["mcp-suite:services"])["everything"]}
    assert problems_of(raw(catalogFile=CATALOG_PATH, services=stack_services), root) == [
        "catalogFile: the stack also sets `services`, and only one of them can be the catalog; keep the catalog in "
        f"one place: move those services into {CATALOG_PATH} (change a service per stack with `serviceOverrides`) "
        "and remove `services` from the stack's config",
    ]


BAD_FILES = [
    pytest.param(
        "catalog/missing.yaml",
        None,
        "{root}/catalog/missing.yaml does not exist; the path is relative to the project directory {root}",
        id="missing",
    ),
    pytest.param(
        "/etc/mcp/services.yaml",
        None,
        f"'/etc/mcp/services.yaml' is an absolute path; give a path relative to the project directory ({IN_PROJECT})",
        id="absolute",
    ),
    pytest.param(
        "../outside.yaml",
        None,
        f"'../outside.yaml' leads outside the project directory {{root}} (to {{outside}}); {IN_PROJECT}",
        id="outside-the-project",
    ),
    pytest.param(
        "catalog/link.yaml",
        None,
        f"'catalog/link.yaml' leads outside the project directory {{root}} (to {{outside}}); {IN_PROJECT}",
        id="symlink-out-of-the-project",
    ),
    pytest.param(
        "catalog",
        None,
        "{root}/catalog is not a file",
        id="a-directory",
    ),
    pytest.param(
        CATALOG_PATH,
        "thinking:\n  port: 8000\n  tier: small: large\n",
        # The parser's own words: libyaml's where PyYAML has it (catalog_file.SAFE_LOADER), else PyYAML's.
        f"{CATALOG_PATH} is not valid YAML: line 3, column 14: mapping values are not allowed "
        + ("in this context" if SAFE_LOADER is not yaml.SafeLoader else "here"),
        id="invalid-yaml",
    ),
    pytest.param(
        CATALOG_PATH,
        "- thinking\n- echo\n",
        f"{CATALOG_PATH} must hold a mapping of service name to service at the top level (the same object as "
        "`services`), got a list",
        id="top-level-list",
    ),
    pytest.param(
        CATALOG_PATH,
        "# services go here\n",
        f"{CATALOG_PATH} holds no services; declare at least one service in it",
        id="empty-file",
    ),
    pytest.param(
        CATALOG_PATH,
        "{}\n",
        f"{CATALOG_PATH} holds no services; declare at least one service in it",
        id="empty-mapping",
    ),
    pytest.param(
        CATALOG_PATH,
        "1: {}\n",
        f"{CATALOG_PATH}: the service name 1 must be a string; quote it",
        id="number-as-name",
    ),
    pytest.param(
        CATALOG_PATH,
        "2026-01-01: {}\n",
        f"{CATALOG_PATH}: the service name 2026-01-01 must be a string; quote it",
        id="date-as-name",
    ),
]


@pytest.mark.parametrize(("catalog_file", "text", "expected"), BAD_FILES)
def test_a_bad_catalog_file_is_one_specific_problem(
    tmp_path: Path, catalog_file: str, text: str | None, expected: str
) -> None:
    root = project(tmp_path / "project", text)
    outside = tmp_path / "outside.yaml"
    outside.write_text(yaml.safe_dump(FILE_CATALOG))
    (root / "catalog").mkdir(exist_ok=True)
    (root / "catalog" / "link.yaml").symlink_to(outside)
    message = expected.format(root=root.resolve(), outside=outside.resolve())
    # The file's problem alone: nothing that names a service can be checked without the catalog.
    assert problems_of(raw(catalogFile=catalog_file), root) == [f"catalogFile: {message}"]


def test_a_catalog_too_large_for_the_engines_config_variable_fits_in_a_file(tmp_path: Path) -> None:
    body = {**FILE_CATALOG["thinking"], "env": {"LOG_LEVEL": "info", "UPSTREAM_URL": "https://api.example.com/v1"}}
    catalog = {f"service-{index:03d}": body for index in range(500)}
    root = project(tmp_path, yaml.safe_dump(catalog))
    in_services = raw(services=catalog)
    in_file = raw(catalogFile=CATALOG_PATH)
    # The engine passes the whole config as one JSON environment string (PULUMI_CONFIG).
    assert len(json.dumps(in_services).encode()) > MAX_ARG_STRLEN > len(json.dumps(in_file).encode())
    settings = load_settings("dev", in_file, project_dir=root)
    assert len(settings.services) == 500


def test_a_stack_evaluates_with_the_files_catalog(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = project(tmp_path, yaml.safe_dump(FILE_CATALOG))
    monkeypatch.setattr(stack_files, "PROJECT_DIR", root)
    evaluation = evaluate_stack(
        "dev",
        overrides={
            "catalogFile": CATALOG_PATH,
            "disabledServices": ["spare"],
            "serviceOverrides": {"thinking": {"env": {"FROM_OVERRIDE": "yes"}}},
        },
    )
    assert {entry.name for entry in evaluation.of_type("mcp-suite:docker:McpService")} == {"echo", "thinking"}
    assert "FROM_OVERRIDE=yes" in evaluation.service_container("thinking").inputs["envs"]


def test_render_cli_renders_the_files_services(tmp_path: Path) -> None:
    root = project(tmp_path / "project", yaml.safe_dump(FILE_CATALOG))
    (root / "Pulumi.big.yaml").write_text(
        yaml.safe_dump({"config": {"mcp-suite:target": "docker", "mcp-suite:catalogFile": CATALOG_PATH}})
    )
    out = tmp_path / "out"
    code = (
        "import sys, infra.stack_files as f; from pathlib import Path; "
        f"f.PROJECT_DIR = Path({str(root)!r}); from infra.__main__ import main; "
        f"sys.exit(main(['render', '--stack', 'big', '--out', {str(out)!r}]))"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_DIR, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    resources = json.loads((out / "resources.json").read_text())
    services = {entry["name"] for entry in resources if entry["type"] == "mcp-suite:docker:McpService"}
    assert services == set(FILE_CATALOG)
