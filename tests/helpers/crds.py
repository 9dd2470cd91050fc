"""The CRDs of tools/crds.list as scripts/gateway-crds fetches them, and strict validation against their schemas.

A CRD's `openAPIV3Schema` is a Kubernetes structural schema, not JSON Schema: unknown fields are pruned (or, with
`fieldValidation=Strict`, rejected) unless `x-kubernetes-preserve-unknown-fields` says otherwise, `nullable` widens
a type, `x-kubernetes-int-or-string` replaces `type`, OpenAPI 3.0's `exclusiveMinimum` is a flag, and list types
carry uniqueness. `structural_to_json_schema` translates those into JSON Schema 2020-12 for `jsonschema`;
kubernetes-validate cannot take them (it reads only the built-in schemas it ships). `metadata` is checked by
kubernetes-validate as the ObjectMeta of any object, plus the name rule the API server applies to custom resources.
The `x-kubernetes-validations` CEL rules run in cel-python, on the object defaulted as the API server stores it.
"""

from __future__ import annotations

import base64
import binascii
import copy
import ipaddress
import os
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import celpy
import jsonschema
import kubernetes_validate
import pytest
import re2
import yaml
from celpy import celtypes
from celpy.adapter import json_to_cel
from celpy.evaluation import CELEvalError

from infra.stack_files import PROJECT_DIR

CRDS_LIST = PROJECT_DIR / "tools" / "crds.list"


@dataclass(frozen=True)
class CrdSource:
    """One line of tools/crds.list."""

    name: str
    module: str
    version: str
    """The module's version, `v`-prefixed as the Go proxy serves it."""


def crd_sources() -> dict[str, CrdSource]:
    sources = {}
    for line in CRDS_LIST.read_text().splitlines():
        fields = line.split()
        if fields and not fields[0].startswith("#"):
            sources[fields[0]] = CrdSource(name=fields[0], module=fields[1], version=fields[2])
    return sources


def crd_directory(name: str) -> Path:
    source = crd_sources()[name]
    cache = Path(os.environ.get("MCP_SUITE_CACHE", Path.home() / ".cache" / "mcp-suite"))
    return cache / "crds" / f"{name}-{source.version}"


def require_crds(name: str) -> Path:
    """The directory of a CRD set of tools/crds.list as scripts/gateway-crds fetches it; fails in CI, else skips."""
    directory = crd_directory(name)
    if not (directory / ".complete").exists():
        message = (
            f"the {name} {crd_sources()[name].version} CRDs are not fetched; run scripts/gateway-crds (.ci/run does)"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return directory


ServedVersion = tuple[str, str]
"""(apiVersion, kind) of a custom resource, for example ("gateway.networking.k8s.io/v1", "HTTPRoute")."""


def served_schemas(directory: Path) -> dict[ServedVersion, dict[str, Any]]:
    """The `openAPIV3Schema` of every served version of every CRD in the directory's YAML files."""
    schemas: dict[ServedVersion, dict[str, Any]] = {}
    for path in sorted(directory.glob("*.yaml")):
        for document in yaml.load_all(path.read_text(), Loader=yaml.CSafeLoader):
            if not document or document.get("kind") != "CustomResourceDefinition":
                continue
            spec = document["spec"]
            for version in spec["versions"]:
                if version.get("served"):
                    key = (f"{spec['group']}/{version['name']}", spec["names"]["kind"])
                    schemas[key] = version["schema"]["openAPIV3Schema"]
    return schemas


# Keywords whose meaning is the same in a structural schema and in JSON Schema 2020-12.
_SAME_KEYWORDS = (
    "enum",
    "pattern",
    "minLength",
    "maxLength",
    "minItems",
    "maxItems",
    "uniqueItems",
    "minProperties",
    "maxProperties",
    "required",
    "multipleOf",
    "format",
)
_JUNCTORS = ("allOf", "anyOf", "oneOf")


def structural_to_json_schema(node: Mapping[str, Any], *, closed: bool = True) -> dict[str, Any]:
    """JSON Schema 2020-12 that accepts what the API server accepts under `fieldValidation=Strict`.

    `closed` is false inside allOf/anyOf/oneOf/not: there a structural schema only adds value checks to fields the
    enclosing schema declares, so it must not reject the fields it leaves unnamed.
    Null is accepted only where `nullable` says so: the API server would drop it, and a renderer writing null
    means to write something else.
    """
    out: dict[str, Any] = {key: node[key] for key in _SAME_KEYWORDS if key in node}
    nullable = bool(node.get("nullable"))
    if node.get("x-kubernetes-int-or-string"):
        out["type"] = ["integer", "string"]
    elif "type" in node:
        out["type"] = [node["type"], "null"] if nullable else node["type"]
    if nullable and "enum" in out:
        out["enum"] = [*out["enum"], None]
    for bound, flag, exclusive in (
        ("minimum", "exclusiveMinimum", "exclusiveMinimum"),
        ("maximum", "exclusiveMaximum", "exclusiveMaximum"),
    ):
        if bound in node:
            out[exclusive if node.get(flag) else bound] = node[bound]
    if "properties" in node:
        out["properties"] = {key: structural_to_json_schema(value) for key, value in node["properties"].items()}
    if isinstance(node.get("additionalProperties"), Mapping):
        out["additionalProperties"] = structural_to_json_schema(node["additionalProperties"])
    elif "additionalProperties" in node:
        out["additionalProperties"] = node["additionalProperties"]
    elif closed and node.get("type") == "object" and not node.get("x-kubernetes-preserve-unknown-fields"):
        out["additionalProperties"] = False
    if node.get("x-kubernetes-embedded-resource"):
        embedded = {"apiVersion": {"type": "string"}, "kind": {"type": "string"}, "metadata": {"type": "object"}}
        out["properties"] = {**embedded, **out.get("properties", {})}
    if "items" in node:
        out["items"] = structural_to_json_schema(node["items"])
    list_type = node.get("x-kubernetes-list-type")
    if list_type == "set":
        out["uniqueItems"] = True
    elif list_type == "map":
        out["listMapKeys"] = node.get("x-kubernetes-list-map-keys", [])
    for junctor in _JUNCTORS:
        if junctor in node:
            out[junctor] = [structural_to_json_schema(sub, closed=False) for sub in node[junctor]]
    if "not" in node:
        out["not"] = structural_to_json_schema(node["not"], closed=False)
    return out


def _list_map_keys(
    validator: jsonschema.protocols.Validator, keys: list[str], instance: Any, schema: Mapping[str, Any]
) -> Iterator[jsonschema.ValidationError]:
    """`x-kubernetes-list-type: map`: no two items share the same values of the list's map keys."""
    if not isinstance(instance, list):
        return
    seen: set[tuple[str, ...]] = set()
    for item in instance:
        if not isinstance(item, dict):
            continue
        key = tuple(repr(item.get(name)) for name in keys)
        if key in seen:
            yield jsonschema.ValidationError(f"duplicate entry for list-map keys {keys}: {key}")
        seen.add(key)


# The formats the API server checks (k8s.io/apiextensions-apiserver's strfmt registry) among those these CRDs use;
# int32 and int64 are documentation there, not bounds.
_FORMATS = jsonschema.FormatChecker(formats=())


@_FORMATS.checks("byte", raises=(binascii.Error, ValueError))
def _is_base64(value: object) -> bool:
    if isinstance(value, str):
        base64.b64decode(value, validate=True)
    return True


@_FORMATS.checks("date-time", raises=ValueError)
def _is_rfc3339(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if not re.fullmatch(r"\d{4}-\d\d-\d\d[Tt]\d\d:\d\d:\d\d(\.\d+)?([Zz]|[+-]\d\d:\d\d)", value):
        return False
    datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
    return True


@_FORMATS.checks("ipv4", raises=ValueError)
def _is_ipv4(value: object) -> bool:
    if isinstance(value, str):
        ipaddress.IPv4Address(value)
    return True


@_FORMATS.checks("ipv6", raises=ValueError)
def _is_ipv6(value: object) -> bool:
    if isinstance(value, str):
        ipaddress.IPv6Address(value)
    return True


@cache
def _re2(pattern: str) -> Any:
    return re2.compile(pattern)


def _re2_pattern(
    validator: jsonschema.protocols.Validator, pattern: str, instance: Any, schema: Mapping[str, Any]
) -> Iterator[jsonschema.ValidationError]:
    """`pattern` as the API server matches it: Go's RE2, unanchored, where `\\d` and `\\w` are ASCII only."""
    if isinstance(instance, str) and not _re2(pattern).search(instance):
        yield jsonschema.ValidationError(f"{instance!r} does not match {pattern!r}")


_Validator = jsonschema.validators.extend(
    jsonschema.Draft202012Validator, validators={"listMapKeys": _list_map_keys, "pattern": _re2_pattern}
)


def schema_validator(structural: Mapping[str, Any]) -> jsonschema.protocols.Validator:
    """A validator of the translation of a structural schema, with the list-map and format checks."""
    return _Validator(structural_to_json_schema(structural), format_checker=_FORMATS)


# metadata.name of a custom resource: a DNS-1123 subdomain (apimachinery's NameIsDNSSubdomain).
_DNS_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")


def _metadata_errors(metadata: object) -> list[str]:
    if not isinstance(metadata, dict):
        return [f"metadata: must be an object, not {metadata!r}"]
    stand_in = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": metadata}
    try:
        kubernetes_validate.validate(stand_in, kubernetes_validate.latest_version(), strict=True)
    except kubernetes_validate.ValidationError as error:
        return [f"{'.'.join(str(part) for part in error.path)}: {error.message}"]
    errors = []
    name = metadata.get("name")
    if not isinstance(name, str) or len(name) > 253 or not _DNS_SUBDOMAIN.fullmatch(name):
        errors.append(f"metadata.name: {name!r} is not a DNS-1123 subdomain")
    namespace = metadata.get("namespace")
    if namespace is not None and (len(namespace) > 63 or not _DNS_LABEL.fullmatch(namespace)):
        errors.append(f"metadata.namespace: {namespace!r} is not a DNS-1123 label")
    return errors


def with_defaults(node: Mapping[str, Any], value: Any) -> Any:
    """The object as the API server stores it: every absent field the schema gives a `default` gets it, nested.

    The API server defaults before it validates, and many CEL rules read a defaulted field without `has()`.
    """
    if isinstance(value, dict) and node.get("type") == "object":
        out = dict(value)
        for key, sub in node.get("properties", {}).items():
            if key not in out and "default" in sub:
                out[key] = copy.deepcopy(sub["default"])
            if key in out:
                out[key] = with_defaults(sub, out[key])
        if isinstance(node.get("additionalProperties"), Mapping):
            for key in out.keys() - node.get("properties", {}).keys():
                out[key] = with_defaults(node["additionalProperties"], out[key])
        return out
    if isinstance(value, list) and "items" in node:
        return [with_defaults(node["items"], item) for item in value]
    return value


# k8s.io/apiextensions-apiserver/pkg/apiserver/schema/cel/model/escaping.go: how a rule names a property.
_CEL_RESERVED = frozenset(
    {
        *("true", "false", "null", "in", "as", "break", "const", "continue", "else", "for", "function", "if"),
        *("import", "let", "loop", "package", "namespace", "return", "var", "void", "while"),
    }
)


def _cel_property_name(name: str) -> str:
    if name in _CEL_RESERVED:
        return f"__{name}__"
    for plain, escaped in (("__", "__underscores__"), (".", "__dot__"), ("-", "__dash__"), ("/", "__slash__")):
        name = name.replace(plain, escaped)
    return name


def _cel_value(node: Mapping[str, Any], value: Any) -> Any:
    """The CEL value a rule sees as `self`, typed as k8s.io/apiserver/pkg/cel/common types a schema's values.

    Declared properties go by their escaped names, map keys and preserved unknown fields as they are; numbers are
    doubles, and strings of format byte, date, date-time and duration are bytes, timestamps and durations.
    """
    if isinstance(value, dict):
        if isinstance(node.get("additionalProperties"), Mapping):
            items = {key: _cel_value(node["additionalProperties"], item) for key, item in value.items()}
            return celtypes.MapType({celtypes.StringType(key): item for key, item in items.items()})
        properties = node.get("properties", {})
        return celtypes.MapType(
            {
                celtypes.StringType(_cel_property_name(key) if key in properties else key): _cel_value(
                    properties.get(key, {}), item
                )
                for key, item in value.items()
            }
        )
    if isinstance(value, list):
        return celtypes.ListType([_cel_value(node.get("items", {}), item) for item in value])
    if isinstance(value, str) and node.get("type") == "string":
        if node.get("format") == "byte":
            return celtypes.BytesType(base64.b64decode(value))
        if node.get("format") in ("date", "date-time"):
            return celtypes.TimestampType(value)
        if node.get("format") == "duration":
            return celtypes.DurationType(value)
    if node.get("type") == "number" and isinstance(value, int) and not isinstance(value, bool):
        return celtypes.DoubleType(value)
    return json_to_cel(value)


# The Kubernetes CEL libraries' functions these CRDs call that cel-python does not have (k8s.io/apiserver's
# library and cel-go's strings extension, as the API server enables them); any other missing function fails the
# rule loudly rather than passing it.
def _upper_ascii(text: celtypes.StringType) -> celtypes.StringType:
    return celtypes.StringType("".join(char.upper() if "a" <= char <= "z" else char for char in text))


def _split(text: celtypes.StringType, separator: celtypes.StringType, limit: int = -1) -> celtypes.ListType:
    if limit == 0:
        return celtypes.ListType()
    parts = list(text) if separator == "" else text.split(separator, -1 if limit < 0 else limit - 1)
    if separator == "" and limit > 0 and len(parts) > limit:
        parts = [*parts[: limit - 1], "".join(parts[limit - 1 :])]
    return celtypes.ListType([celtypes.StringType(part) for part in parts])


def _substring(text: celtypes.StringType, start: int, end: int | None = None) -> celtypes.StringType:
    stop = len(text) if end is None else int(end)
    if not 0 <= start <= stop <= len(text):
        raise ValueError(f"substring({start}, {stop}) out of range of a string of length {len(text)}")
    return celtypes.StringType(text[int(start) : stop])


def _is_ip(text: celtypes.StringType) -> celtypes.BoolType:
    """k8s.io/apiserver's isIP: an IPv4 or IPv6 address, no zone, no IPv4-mapped IPv6, no leading zeros."""
    try:
        address = ipaddress.ip_address(str(text))
    except ValueError:
        return celtypes.BoolType(False)
    mapped = isinstance(address, ipaddress.IPv6Address) and (address.ipv4_mapped is not None or "%" in text)
    return celtypes.BoolType(not mapped)


_CEL_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "upperAscii": _upper_ascii,
    "split": _split,
    "substring": _substring,
    "isIP": _is_ip,
}


@cache
def _cel_program(rule: str) -> celpy.Runner:
    environment = celpy.Environment()
    return environment.program(environment.compile(rule), functions=_CEL_FUNCTIONS)


def cel_errors(node: Mapping[str, Any], value: Any, path: str = "$") -> list[str]:
    """Every `x-kubernetes-validations` rule on the object and its fields that does not hold, `<path>: <message>`.

    Transition rules (those reading `oldSelf`) run only on updates, against the stored object: not here.
    """
    errors = []
    for validation in node.get("x-kubernetes-validations", []):
        rule = validation["rule"]
        if "oldSelf" in rule:
            continue
        try:
            result = _cel_program(rule).evaluate({"self": _cel_value(node, value)})
            reason = "" if isinstance(result, celtypes.BoolType) and result else f"{result!r}"
        except CELEvalError as error:
            reason = f"error {error.args[0]}"
        if reason:
            errors.append(f"{path}: {validation.get('message', rule)} (rule {rule!r}: {reason})")
    if isinstance(value, dict):
        properties = node.get("properties", {})
        extra = node.get("additionalProperties")
        for key, item in value.items():
            sub = properties.get(key, extra if isinstance(extra, Mapping) else None)
            if sub is not None:
                errors += cel_errors(sub, item, f"{path}.{key}")
    elif isinstance(value, list) and "items" in node:
        for index, item in enumerate(value):
            errors += cel_errors(node["items"], item, f"{path}[{index}]")
    return errors


class CrdValidator:
    """Validates custom resources against the CRDs of one directory, strictly."""

    def __init__(self, directory: Path) -> None:
        self.schemas = served_schemas(directory)
        self._validators: dict[ServedVersion, jsonschema.protocols.Validator] = {}

    def validator(self, key: ServedVersion) -> jsonschema.protocols.Validator:
        if key not in self._validators:
            # ObjectMeta is checked by _metadata_errors; the CRD declares it only as `type: object`.
            properties = {**self.schemas[key]["properties"], "metadata": {}}
            self._validators[key] = schema_validator({**self.schemas[key], "properties": properties})
        return self._validators[key]

    def errors(self, manifest: Mapping[str, Any]) -> list[str]:
        """Every way the object breaks its CRD's schema, `<path>: <problem>`; empty when it is valid."""
        key = (str(manifest.get("apiVersion")), str(manifest.get("kind")))
        if key not in self.schemas:
            return [f"no served CRD version for {key[1]} {key[0]}"]
        schema = self.schemas[key]
        stored = with_defaults(schema, manifest)
        found = [
            f"{error.json_path}: {error.message}"
            for error in sorted(self.validator(key).iter_errors(stored), key=lambda e: list(map(str, e.path)))
        ]
        # Rules assume the shape the schema gives; on a malformed object they would only repeat its errors.
        if not found:
            found = cel_errors(schema, stored)
        return found + _metadata_errors(manifest.get("metadata"))
