"""How settings report a bad value: every check returns `Problem`s, and `load_settings` raises them together."""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError

from components.spec import SpecModel

PROJECT = "mcp-suite"
_GATEWAY_API = "ingress-nginx is retired and the Gateway API replaced it (docs/network.md): remove it"
RETIRED_KEYS = {
    "network.ingressClass": f"{_GATEWAY_API}, and set gatewayClass if your Envoy Gateway's GatewayClass is not `eg`",
    "network.ingressController": f"{_GATEWAY_API}; the gateway's proxies are selected by gatewayNamespace",
}
"""Keys an earlier release read, with what replaces them: a stack file written for it gets told what to change."""


class Problem(SpecModel):
    """One bad config value: where it is, what it was, what is allowed."""

    path: str
    message: str


class SettingsError(Exception):
    """Every problem found in one stack's config, as one readable message."""

    def __init__(self, stack: str, problems: list[Problem]) -> None:
        self.stack = stack
        self.problems = problems
        super().__init__(self.render())

    def render(self) -> str:
        count = len(self.problems)
        lines = [f"Invalid configuration for stack '{self.stack}' ({count} problem{'s' if count != 1 else ''}):"]
        lines += [f"  - {PROJECT}:{problem.path}: {problem.message}" for problem in self.problems]
        lines.append(
            f"Fix these in Pulumi.{self.stack}.yaml (or with `pulumi config set --path ...`) and run again; "
            "the keys and their defaults are declared in Pulumi.yaml."
        )
        return "\n".join(lines)


def validation_problems(error: ValidationError, prefix: tuple[str, ...] = ()) -> list[Problem]:
    """pydantic's errors as Problems, each at its config path (camelCase aliases) with a readable message."""
    problems = []
    for detail in error.errors(include_url=False):
        location = [str(part) for part in prefix + tuple(detail["loc"])]
        if location and location[-1].startswith("function-after["):
            location.pop()
        if location and location[-1] == "[key]":  # a bad mapping key: name the key, not pydantic's marker
            location.pop()
        message = detail["msg"].removeprefix("Value error, ")
        if detail["type"] == "extra_forbidden":
            message = RETIRED_KEYS.get(
                ".".join(location),
                "unknown key; remove it (see the documented fields in components/spec.py and infra/settings/)",
            )
        elif detail["type"] == "missing":
            message = "required"
        elif not isinstance(detail["input"], (dict, list)) and "'" + str(detail["input"]) + "'" not in message:
            message = f"{message} (got {show(detail['input'])})"
        problems.append(Problem(path=".".join(location), message=message))
    return problems


def plain_text_secrets(key: str, leaf: str) -> Problem:
    """A secret config key whose values were set without `--secret`: they would sit in plain text in the file."""
    return Problem(
        path=key,
        message=f"holds plain-text values; set each one with `pulumi config set --secret --path {key}.{leaf} <value>`",
    )


def show(value: Any) -> str:
    """A config value as the user wrote it, for messages."""
    return json.dumps(value) if not isinstance(value, str) else repr(value)


def sorted_unique(problems: list[Problem]) -> list[Problem]:
    """Problems in the order found, each reported once."""
    seen: dict[tuple[str, str], Problem] = {}
    for problem in problems:
        seen.setdefault((problem.path, problem.message), problem)
    return list(seen.values())
