"""The rendered Gateway API and Envoy Gateway objects are valid against their published CRDs, strictly.

The CRDs are those of Envoy Gateway at the version tools/crds.list pins (with the Gateway API standard-channel
CRDs that release ships), fetched by scripts/gateway-crds. An object is checked the way the API server checks a
create with `fieldValidation=Strict` (tests/helpers/crds.py): after defaulting, against the `openAPIV3Schema` of
its CRD's served version (unknown fields except under `x-kubernetes-preserve-unknown-fields`, types, nullability,
int-or-string, enums, RE2 patterns, formats, bounds, required fields, list-set and list-map uniqueness), then every
`x-kubernetes-validations` CEL rule, evaluated by cel-python with the few Kubernetes library functions these CRDs
call, and `metadata` as ObjectMeta with a DNS-1123 name.

Not checked: transition rules (those reading `oldSelf`, which need a stored object); the rules' cost budget (the
API server enforces it on the CRD, not the object); the order-insensitive equality CEL gives lists of type set
and map (here they compare in order); and what the Envoy Gateway controller itself refuses after admission (it
reports those in the objects' status conditions). A null where the schema is not nullable is rejected, where the
API server would drop it.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.helpers.crds import CrdValidator, cel_errors, require_crds, schema_validator
from tests.helpers.stacks import KUBERNETES_STACKS

GATEWAY_GROUPS = ("gateway.networking.k8s.io", "gateway.envoyproxy.io")


@pytest.fixture(scope="module")
def validator() -> CrdValidator:
    return CrdValidator(require_crds("envoy-gateway"))


def rendered_gateway_objects(render_dir: Callable[[str], Path], stack: str) -> list[tuple[str, dict[str, Any]]]:
    directory = render_dir(stack) / "kubernetes"
    objects = [(path.name, yaml.safe_load(path.read_text())) for path in sorted(directory.glob("*.yaml"))]
    return [
        (name, manifest) for name, manifest in objects if str(manifest["apiVersion"]).split("/")[0] in GATEWAY_GROUPS
    ]


@pytest.mark.parametrize("stack", KUBERNETES_STACKS)
def test_rendered_gateway_objects_are_strictly_valid(
    render_dir: Callable[[str], Path], stack: str, validator: CrdValidator
) -> None:
    objects = rendered_gateway_objects(render_dir, stack)
    kinds = {manifest["kind"] for _, manifest in objects}
    assert "Gateway" in kinds, f"{stack} renders no Gateway"
    errors = [f"{name}: {error}" for name, manifest in objects for error in validator.errors(manifest)]
    assert errors == []


# What the Kubernetes stacks need of Envoy Gateway: a hand-written object of each kind, as the API server would
# accept it, each of which the tests below break in one place.
NAMESPACE = "mcp"
SAMPLES: dict[str, dict[str, Any]] = {
    "GatewayClass": {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "GatewayClass",
        "metadata": {"name": "mcp-suite"},
        "spec": {
            "controllerName": "gateway.envoyproxy.io/gatewayclass-controller",
            "parametersRef": {
                "group": "gateway.envoyproxy.io",
                "kind": "EnvoyProxy",
                "name": "mcp-gateway",
                "namespace": NAMESPACE,
            },
        },
    },
    "Gateway": {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "Gateway",
        "metadata": {"name": "mcp-gateway", "namespace": NAMESPACE, "labels": {"app.kubernetes.io/part-of": "mcp"}},
        "spec": {
            "gatewayClassName": "mcp-suite",
            "listeners": [
                {
                    "name": "https",
                    "protocol": "HTTPS",
                    "port": 443,
                    "hostname": "mcp.example.com",
                    "tls": {"mode": "Terminate", "certificateRefs": [{"kind": "Secret", "name": "mcp-tls"}]},
                    "allowedRoutes": {"namespaces": {"from": "Same"}},
                }
            ],
        },
    },
    "HTTPRoute": {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "HTTPRoute",
        "metadata": {"name": "everything", "namespace": NAMESPACE},
        "spec": {
            "parentRefs": [{"name": "mcp-gateway", "sectionName": "https"}],
            "hostnames": ["mcp.example.com"],
            "rules": [
                {
                    "matches": [{"path": {"type": "PathPrefix", "value": "/everything/"}}],
                    "filters": [
                        {
                            "type": "URLRewrite",
                            "urlRewrite": {"path": {"type": "ReplacePrefixMatch", "replacePrefixMatch": "/"}},
                        }
                    ],
                    "backendRefs": [{"name": "everything", "port": 3001}],
                    "timeouts": {"request": "300s"},
                }
            ],
        },
    },
    "ClientTrafficPolicy": {
        "apiVersion": "gateway.envoyproxy.io/v1alpha1",
        "kind": "ClientTrafficPolicy",
        "metadata": {"name": "mcp-gateway", "namespace": NAMESPACE},
        "spec": {
            "targetRefs": [{"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "mcp-gateway"}],
            "clientIPDetection": {"xForwardedFor": {"numTrustedHops": 1}},
            "timeout": {"http": {"idleTimeout": "1h", "requestReceivedTimeout": "30s"}},
        },
    },
    "BackendTrafficPolicy": {
        "apiVersion": "gateway.envoyproxy.io/v1alpha1",
        "kind": "BackendTrafficPolicy",
        "metadata": {"name": "everything", "namespace": NAMESPACE},
        "spec": {
            "targetRefs": [{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "name": "everything"}],
            "loadBalancer": {
                "type": "ConsistentHash",
                "consistentHash": {"type": "Headers", "headers": [{"name": "Mcp-Session-Id"}]},
            },
            "timeout": {"http": {"requestTimeout": "300s"}},
        },
    },
    "EnvoyProxy": {
        "apiVersion": "gateway.envoyproxy.io/v1alpha1",
        "kind": "EnvoyProxy",
        "metadata": {"name": "mcp-gateway", "namespace": NAMESPACE},
        "spec": {
            "provider": {
                "type": "Kubernetes",
                "kubernetes": {
                    "envoyDeployment": {
                        "replicas": 2,
                        "container": {
                            "resources": {
                                "requests": {"cpu": "100m", "memory": "128Mi"},
                                "limits": {"cpu": 1, "memory": "512Mi"},
                            }
                        },
                        "patch": {"type": "StrategicMerge", "value": {"spec": {"anything": {"goes": True}}}},
                    }
                },
            },
        },
    },
}


def edited(kind: str, path: str) -> tuple[dict[str, Any], Any, str | int]:
    """A copy of the sample, the object at a dotted path's parent (list indexes as numbers) and the last key."""
    manifest = copy.deepcopy(SAMPLES[kind])
    *parents, last = [int(part) if part.isdigit() else part for part in path.split(".")]
    node: Any = manifest
    for part in parents:
        node = node[part]
    return manifest, node, last


def changed(kind: str, path: str, value: Any) -> dict[str, Any]:
    manifest, parent, key = edited(kind, path)
    parent[key] = value
    return manifest


def removed(kind: str, path: str) -> dict[str, Any]:
    manifest, parent, key = edited(kind, path)
    del parent[key]
    return manifest


@pytest.mark.parametrize("kind", sorted(SAMPLES))
def test_samples_are_valid(validator: CrdValidator, kind: str) -> None:
    assert validator.errors(SAMPLES[kind]) == []


DEPLOYMENT = "spec.provider.kubernetes.envoyDeployment"
# For each kind a field of the wrong type, one wrong value of another rule, and an unknown field; each with the
# part of the error that shows it was rejected for that reason.
REJECTED: list[tuple[str, dict[str, Any], str]] = [
    ("GatewayClass", changed("GatewayClass", "spec.controllerName", 7), "is not of type 'string'"),
    ("GatewayClass", changed("GatewayClass", "spec.controllerName", "no-domain"), "does not match"),
    ("GatewayClass", changed("GatewayClass", "spec.parametersRef.selector", {}), "'selector' was unexpected"),
    ("Gateway", changed("Gateway", "spec.listeners.0.port", "443"), "is not of type 'integer'"),
    ("Gateway", changed("Gateway", "spec.listeners.0.port", 0), "less than the minimum"),
    ("Gateway", changed("Gateway", "spec.listeners.0.tls.mode", "Reencrypt"), "is not one of"),
    ("Gateway", changed("Gateway", "spec.listeners.0.tlsMode", "Terminate"), "'tlsMode' was unexpected"),
    ("Gateway", removed("Gateway", "spec.gatewayClassName"), "'gatewayClassName' is a required property"),
    ("HTTPRoute", changed("HTTPRoute", "spec.hostnames", "mcp.example.com"), "is not of type 'array'"),
    ("HTTPRoute", changed("HTTPRoute", "spec.rules.0.backendRefs.0.port", 70000), "greater than the maximum"),
    ("HTTPRoute", changed("HTTPRoute", "spec.rules.0.timeouts.request", "5 minutes"), "does not match"),
    ("HTTPRoute", changed("HTTPRoute", "spec.rules.0.backend", []), "'backend' was unexpected"),
    ("ClientTrafficPolicy", changed("ClientTrafficPolicy", "spec.timeout.http.idleTimeout", 3600), "not of type"),
    ("ClientTrafficPolicy", changed("ClientTrafficPolicy", "spec.timeout.http.idle", "1h"), "'idle' was unexpected"),
    ("BackendTrafficPolicy", changed("BackendTrafficPolicy", "spec.loadBalancer.type", "Sticky"), "is not one of"),
    ("BackendTrafficPolicy", changed("BackendTrafficPolicy", "spec.targetRefs", {}), "is not of type 'array'"),
    ("BackendTrafficPolicy", changed("BackendTrafficPolicy", "spec.sessionAffinity", {}), "was unexpected"),
    # int-or-string: a float is neither, a string must still be a quantity.
    ("EnvoyProxy", changed("EnvoyProxy", f"{DEPLOYMENT}.container.resources.limits.cpu", 0.5), "is not of type"),
    ("EnvoyProxy", changed("EnvoyProxy", f"{DEPLOYMENT}.container.resources.limits.cpu", "one"), "does not match"),
    ("EnvoyProxy", changed("EnvoyProxy", f"{DEPLOYMENT}.replicas", "2"), "is not of type 'integer'"),
    (
        "EnvoyProxy",
        changed("EnvoyProxy", "spec.provider.kubernetes.envoyDeploymnt", {}),
        "'envoyDeploymnt' was unexpected",
    ),
    # metadata is ObjectMeta, with a DNS-1123 name.
    ("HTTPRoute", changed("HTTPRoute", "metadata.name", "Everything"), "is not a DNS-1123 subdomain"),
    ("HTTPRoute", changed("HTTPRoute", "metadata.labels", {"tier": 1}), "is not of type 'string'"),
    ("HTTPRoute", changed("HTTPRoute", "metadata.owner", "x"), "'owner' was unexpected"),
    ("HTTPRoute", changed("HTTPRoute", "status", {"parents": "x"}), "is not of type 'array'"),
    ("HTTPRoute", changed("HTTPRoute", "spec.extra", 1), "'extra' was unexpected"),
    ("HTTPRoute", changed("HTTPRoute", "apiVersion", "gateway.networking.k8s.io/v2"), "no served CRD version"),
]


@pytest.mark.parametrize(("manifest", "expected"), [t[1:] for t in REJECTED], ids=[f"{k}-{e}" for k, _, e in REJECTED])
def test_schema_rejects(validator: CrdValidator, manifest: dict[str, Any], expected: str) -> None:
    errors = validator.errors(manifest)
    assert any(expected in error for error in errors), errors


def with_health_check(method: str) -> dict[str, Any]:
    active = {
        "type": "HTTP",
        "http": {"path": "/healthz", "method": method, "requestBody": {"type": "Text", "text": "{}"}},
    }
    return changed("BackendTrafficPolicy", "spec.healthCheck", {"active": active})


def annotated(key: str) -> dict[str, Any]:
    return changed("Gateway", "spec.infrastructure", {"annotations": {key: "x"}})


# x-kubernetes-validations rules, each with the part of its message the error must show. Defaulting comes first:
# a path match without a type gets PathPrefix, and the rule that reads it sees that.
REJECTED_BY_RULE: list[tuple[dict[str, Any], str]] = [
    (changed("HTTPRoute", "spec.rules.0.matches.0.path.value", "everything"), "must be an absolute path"),
    (changed("HTTPRoute", "spec.rules.0.matches.0.path", {"value": "everything"}), "must be an absolute path"),
    (changed("HTTPRoute", "spec.parentRefs", [{"name": "mcp-gateway"}] * 2), "sectionName must be unique"),
    (changed("Gateway", "spec.listeners.0.tls.mode", "Passthrough"), "tls mode must be Terminate for protocol HTTPS"),
    (changed("Gateway", "spec.listeners.0.protocol", "HTTP"), "tls must not be specified for protocols"),
    (annotated("a" * 253 + "/name"), "must be a DNS subdomain not longer than 253"),
    (changed("ClientTrafficPolicy", "spec.targetRefs.0.kind", "HTTPRoute"), "kind of Gateway or ListenerSet"),
    (removed("ClientTrafficPolicy", "spec.targetRefs"), "either targetRef or targetRefs must be used"),
    (removed("BackendTrafficPolicy", "spec.loadBalancer.consistentHash"), "consistentHash field needs to be set"),
    (changed("BackendTrafficPolicy", "spec.loadBalancer.consistentHash.type", "Header"), "header field must be set"),
    (with_health_check("get"), "can only be set when method is POST or PUT"),
    (changed("EnvoyProxy", "spec", {"mergeGateways": True, "mergeBackends": {}}), "cannot both be enabled"),
]


@pytest.mark.parametrize(("manifest", "expected"), REJECTED_BY_RULE, ids=[e for _, e in REJECTED_BY_RULE])
def test_rules_reject(validator: CrdValidator, manifest: dict[str, Any], expected: str) -> None:
    errors = validator.errors(manifest)
    assert any(expected in error for error in errors), errors


@pytest.mark.parametrize(
    "manifest",
    [with_health_check("post"), with_health_check("PUT"), annotated("example.com/name"), annotated("name")],
    ids=["post", "PUT", "prefixed-annotation", "plain-annotation"],
)
def test_rules_accept(validator: CrdValidator, manifest: dict[str, Any]) -> None:
    assert validator.errors(manifest) == []


def test_the_crds_are_one_standard_channel_release(validator: CrdValidator) -> None:
    bundle = (require_crds("envoy-gateway") / "standard-gatewayapi-crds.yaml").read_text()
    versions = set(re.findall(r"gateway\.networking\.k8s\.io/bundle-version: (\S+)", bundle))
    channels = set(re.findall(r"gateway\.networking\.k8s\.io/channel: (\S+)", bundle))
    assert len(versions) == 1, versions
    assert channels == {"standard"}
    assert {kind for _, kind in validator.schemas} >= set(SAMPLES)


# The translation of structural schemas, on small schemas of its own: these run without the CRDs.
OBJECT = {"type": "object", "properties": {"name": {"type": "string"}}}
TRANSLATED: list[tuple[str, dict[str, Any], Any, bool]] = [
    ("declared field", OBJECT, {"name": "a"}, True),
    ("unknown field", OBJECT, {"nmae": "a"}, False),
    ("preserved unknown field", {**OBJECT, "x-kubernetes-preserve-unknown-fields": True}, {"nmae": "a"}, True),
    ("known field under preserve", {**OBJECT, "x-kubernetes-preserve-unknown-fields": True}, {"name": 1}, False),
    ("object without properties", {"type": "object"}, {"any": 1}, False),
    ("map value", {"type": "object", "additionalProperties": {"type": "string"}}, {"any": "a"}, True),
    ("map value mistyped", {"type": "object", "additionalProperties": {"type": "string"}}, {"any": 1}, False),
    ("embedded resource", {"type": "object", "x-kubernetes-embedded-resource": True}, {"kind": "Pod"}, True),
    ("null", {"type": "string"}, None, False),
    ("nullable null", {"type": "string", "nullable": True}, None, True),
    ("nullable enum null", {"type": "string", "enum": ["a"], "nullable": True}, None, True),
    ("int-or-string int", {"x-kubernetes-int-or-string": True}, 80, True),
    ("int-or-string string", {"x-kubernetes-int-or-string": True}, "http", True),
    ("int-or-string float", {"x-kubernetes-int-or-string": True}, 0.5, False),
    ("minimum", {"type": "integer", "minimum": 1}, 1, True),
    ("exclusive minimum", {"type": "integer", "minimum": 1, "exclusiveMinimum": True}, 1, False),
    ("exclusive maximum", {"type": "integer", "maximum": 9, "exclusiveMaximum": True}, 9, False),
    ("set", {"type": "array", "items": {"type": "string"}, "x-kubernetes-list-type": "set"}, ["a", "a"], False),
    ("atomic list", {"type": "array", "items": {"type": "string"}}, ["a", "a"], True),
    (
        "list-map duplicate key",
        {"type": "array", "items": OBJECT, "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"]},
        [{"name": "a"}, {"name": "a"}],
        False,
    ),
    (
        "list-map distinct keys",
        {"type": "array", "items": OBJECT, "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"]},
        [{"name": "a"}, {"name": "b"}],
        True,
    ),
    # Inside a junctor a schema names only the fields it constrains: the others stay allowed.
    ("anyOf names one field", {**OBJECT, "anyOf": [{"required": ["name"]}]}, {"name": "a"}, True),
    ("anyOf unmet", {**OBJECT, "anyOf": [{"required": ["name"]}]}, {}, False),
    ("byte", {"type": "string", "format": "byte"}, "aGk=", True),
    ("byte not base64", {"type": "string", "format": "byte"}, "hi!", False),
    ("date-time", {"type": "string", "format": "date-time"}, "2026-01-02T03:04:05Z", True),
    ("date-time without zone", {"type": "string", "format": "date-time"}, "2026-01-02T03:04:05", False),
    ("ipv4 leading zero", {"type": "string", "format": "ipv4"}, "10.0.0.01", False),
    # RE2's \d is ASCII, Python's re would take any Unicode digit.
    ("pattern", {"type": "string", "pattern": r"^\d+$"}, "12", True),
    ("pattern is RE2", {"type": "string", "pattern": r"^\d+$"}, "\u0661\u0662", False),
]


@pytest.mark.parametrize(("schema", "value", "valid"), [t[1:] for t in TRANSLATED], ids=[t[0] for t in TRANSLATED])
def test_structural_schema_translation(schema: dict[str, Any], value: Any, valid: bool) -> None:
    errors = list(schema_validator(schema).iter_errors(value))
    assert (errors == []) == valid, errors


def ruled(rule: str, node: dict[str, Any] | None = None) -> dict[str, Any]:
    return {**(node or {"type": "object"}), "x-kubernetes-validations": [{"rule": rule, "message": "broken"}]}


REFERENCE = {
    "type": "object",
    "properties": {"namespace": {"type": "string"}, "x-y": {"type": "string"}, "a__b": {"type": "string"}},
}
RULES: list[tuple[str, dict[str, Any], Any, bool]] = [
    # Property names as the API server escapes them for rules.
    ("reserved word", ruled("self.__namespace__ == 'mcp'", REFERENCE), {"namespace": "mcp"}, True),
    ("dash", ruled("self.x__dash__y == 'v'", REFERENCE), {"x-y": "v"}, True),
    ("underscores", ruled("self.a__underscores__b == 'v'", REFERENCE), {"a__b": "v"}, True),
    ("absent field is an error", ruled("self.x__dash__y == 'v'", REFERENCE), {}, False),
    ("has on absent field", ruled("!has(self.x__dash__y)", REFERENCE), {}, True),
    # The Kubernetes library functions the CRDs call.
    ("upperAscii", ruled("self.upperAscii() == 'POST'", {"type": "string"}), "post", True),
    ("split", ruled("self.split('/') == ['a', 'b']", {"type": "string"}), "a/b", True),
    ("split limit", ruled("self.split('/', 2) == ['a', 'b/c']", {"type": "string"}), "a/b/c", True),
    ("substring", ruled("self.substring(1, 3) == 'bc'", {"type": "string"}), "abcd", True),
    ("substring out of range", ruled("self.substring(5) == ''", {"type": "string"}), "abcd", False),
    ("isIP v4", ruled("isIP(self)", {"type": "string"}), "10.0.0.1", True),
    ("isIP v6", ruled("isIP(self)", {"type": "string"}), "fd00::1", True),
    ("isIP hostname", ruled("isIP(self)", {"type": "string"}), "example.com", False),
    ("isIP mapped", ruled("isIP(self)", {"type": "string"}), "::ffff:10.0.0.1", False),
    ("isIP zone", ruled("isIP(self)", {"type": "string"}), "fe80::1%eth0", False),
    ("duration", ruled("duration(self) <= duration('5m')", {"type": "string"}), "300s", True),
    # Values typed by their schema, as the API server types them.
    ("number is double", ruled("self > 0.5", {"type": "number"}), 1, True),
    ("format duration", ruled("self < duration('1h')", {"type": "string", "format": "duration"}), "5m", True),
    (
        "format date-time",
        ruled("self < timestamp('2030-01-01T00:00:00Z')", {"type": "string", "format": "date-time"}),
        "2026-01-02T03:04:05Z",
        True,
    ),
    ("format byte", ruled("self == b'hi'", {"type": "string", "format": "byte"}), "aGk=", True),
    (
        "preserved field unescaped",
        ruled("self['x-y'] == 1", {"type": "object", "x-kubernetes-preserve-unknown-fields": True}),
        {"x-y": 1},
        True,
    ),
    ("unknown function fails", ruled("self.nonesuch()", {"type": "string"}), "a", False),
    # Transition rules compare with the stored object, which a create does not have.
    ("transition rule skipped", ruled("self == oldSelf", {"type": "string"}), "a", True),
]


@pytest.mark.parametrize(("schema", "value", "valid"), [t[1:] for t in RULES], ids=[t[0] for t in RULES])
def test_cel_rules(schema: dict[str, Any], value: Any, valid: bool) -> None:
    errors = cel_errors(schema, value)
    assert (errors == []) == valid, errors
