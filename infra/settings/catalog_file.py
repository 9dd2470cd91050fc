"""`catalogFile`: the catalog read from a YAML file of the project instead of the `services` config key.

The engine hands the program the whole stack config in one environment variable, and Linux caps one environment
string at 128 KiB (MAX_ARG_STRLEN): past a few hundred services, a catalog in `services` stops the program before
it starts (pulumi/pulumi#8680). A file of the project has no such limit, and is committed with it, so previews and
`python -m infra diff` at a git ref read the same catalog.

`catalog_source` is the one place that reads it; `parse_catalog_file` and `both_sources_problems` are pure.
"""

from __future__ import annotations

import json
from pathlib import Path, PurePath
from typing import Any

import yaml

from infra.settings.keys import ConfigValues
from infra.settings.problems import PROJECT, Problem

KEY = "catalogFile"
SAFE_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's parser where PyYAML has it: a 500-service catalog parses on every preview."""


def catalog_source(
    config: ConfigValues, project_dir: Path | None = None
) -> tuple[dict[str, Any] | None, list[Problem]]:
    """The catalog before this stack's overrides: the file `catalogFile` names, else `services`.

    None when the file cannot be used (the problems say why): without the catalog, nothing that names a service
    can be checked. `project_dir` defaults to the directory of Pulumi.yaml.
    """
    name: str = config.values.get(KEY, "")
    if not name:
        return dict(config.section("services")), []
    # stack_files imports infra.settings, so it is imported when used.
    from infra import stack_files

    project_dir = project_dir or stack_files.PROJECT_DIR
    text, problems = _read(name, project_dir)
    if text is None:
        return None, problems
    catalog, problems = parse_catalog_file(name, text)
    if catalog is None:
        return None, problems
    try:
        default = stack_files.project_defaults(project_dir).get(f"{PROJECT}:services")
    except stack_files.StackFileError as error:
        return None, [Problem(path=KEY, message=f"cannot read the default of `services`: {error}")]
    return catalog, both_sources_problems(name, config, default)


def parse_catalog_file(name: str, text: str) -> tuple[dict[str, Any] | None, list[Problem]]:
    """The file's text as a catalog (service name -> body, as under `services`), or None and why not."""
    try:
        document = yaml.load(text, Loader=SAFE_LOADER)
    except yaml.YAMLError as error:
        return None, [Problem(path=KEY, message=f"{name} is not valid YAML: {_yaml_error(error)}")]
    if document is not None and not isinstance(document, dict):
        return None, [
            Problem(
                path=KEY,
                message=f"{name} must hold a mapping of service name to service at the top level (the same object "
                f"as `services`), got {_kind(document)}",
            )
        ]
    if not document:
        return None, [Problem(path=KEY, message=f"{name} holds no services; declare at least one service in it")]
    problems = [
        Problem(path=KEY, message=f"{name}: the service name {key} must be a string; quote it")
        for key in document
        if not isinstance(key, str)
    ]
    if problems:
        return None, problems
    # As the engine passes `services`: JSON values (YAML's dates, for one, become their text).
    catalog: dict[str, Any] = json.loads(json.dumps(document, default=str))
    return catalog, []


def both_sources_problems(name: str, config: ConfigValues, project_default: Any) -> list[Problem]:
    """`services` left at Pulumi.yaml's default, which the engine always passes; a stack that sets it differently
    has two catalogs, and only one would deploy."""
    given = config.values.get("services")
    # The engine passes the default as JSON; the same round trip makes the two comparable.
    if given is None or given == json.loads(json.dumps(project_default)):
        return []
    return [
        Problem(
            path=KEY,
            message=f"the stack also sets `services`, and only one of them can be the catalog; keep the catalog in "
            f"one place: move those services into {name} (change a service per stack with `serviceOverrides`) and "
            "remove `services` from the stack's config",
        )
    ]


def _read(name: str, project_dir: Path) -> tuple[str | None, list[Problem]]:
    def problem(message: str) -> tuple[None, list[Problem]]:
        return None, [Problem(path=KEY, message=message)]

    in_project = (
        "the catalog must be a file of the project, so that previews and `python -m infra diff` at a git ref see it"
    )
    if PurePath(name).is_absolute():
        return problem(f"'{name}' is an absolute path; give a path relative to the project directory ({in_project})")
    root = project_dir.resolve()
    path = (root / name).resolve()
    if not path.is_relative_to(root):
        return problem(f"'{name}' leads outside the project directory {root} (to {path}); {in_project}")
    if not path.exists():
        return problem(f"{path} does not exist; the path is relative to the project directory {root}")
    if not path.is_file():
        return problem(f"{path} is not a file")
    try:
        return path.read_text(encoding="utf-8"), []
    except (OSError, UnicodeDecodeError) as error:
        return problem(f"cannot read {path}: {error}")


def _yaml_error(error: yaml.YAMLError) -> str:
    if isinstance(error, yaml.MarkedYAMLError) and error.problem_mark is not None:
        mark = error.problem_mark
        return f"line {mark.line + 1}, column {mark.column + 1}: {error.problem}"
    return str(error)


def _kind(value: Any) -> str:
    kinds = {list: "a list", str: "a string", bool: "a boolean", int: "a number", float: "a number"}
    return kinds.get(type(value), type(value).__name__)
