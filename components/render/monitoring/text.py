"""Deterministic text of generated files: sorted keys, block style, stable across runs."""

from __future__ import annotations

import json
from typing import Any

import yaml

SAFE_DUMPER: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
"""libyaml's emitter where PyYAML has it (its wheels do): the same text as the pure-Python one, five times faster,
which a 500-service stack's Prometheus files feel on every preview."""


def to_yaml(document: Any) -> str:
    return yaml.dump(
        document, Dumper=SAFE_DUMPER, sort_keys=True, default_flow_style=False, width=1000, allow_unicode=True
    )


def to_json(document: Any) -> str:
    return json.dumps(document, sort_keys=True, indent=2) + "\n"
