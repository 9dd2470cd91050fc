"""Deterministic text of generated files: sorted keys, block style, stable across runs."""

from __future__ import annotations

import json
from typing import Any

import yaml


def to_yaml(document: Any) -> str:
    return yaml.safe_dump(document, sort_keys=True, default_flow_style=False, width=1000, allow_unicode=True)


def to_json(document: Any) -> str:
    return json.dumps(document, sort_keys=True, indent=2) + "\n"
