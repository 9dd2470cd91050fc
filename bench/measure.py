"""One measurement in a fresh process: `python -m bench.measure --size N --side program|floor --records FILE`.

Both sides import the same provider SDKs and run one untimed warm-up first, so the timing covers registering
resources, not importing or first-use compilation. Prints one JSON line.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import json
import pickle
import re
import resource
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import pulumi

# Provider SDKs are imported up front: imports are excluded from the timing.
import pulumi_kubernetes.apiextensions
import pulumi_kubernetes.apps.v1
import pulumi_kubernetes.autoscaling.v2
import pulumi_kubernetes.core.v1
import pulumi_kubernetes.policy.v1
from pulumi.runtime.mocks import MockResourceArgs

from bench.catalog import catalog, secrets
from infra import mock_runtime
from infra.mock_runtime import evaluate
from infra.program import run
from infra.settings import PROJECT
from infra.stack_files import read_stack_config

STACK = "prod"
REPEATS = 3


def stack_config(size: int) -> tuple[dict[str, str], frozenset[str]]:
    config = read_stack_config(STACK)
    values = dict(config.values)
    values[f"{PROJECT}:services"] = json.dumps(catalog(size))
    values[f"{PROJECT}:serviceOverrides"] = "{}"
    values[f"{PROJECT}:serviceSecrets"] = json.dumps(secrets(size))
    values[f"{PROJECT}:monitoringSecrets"] = json.dumps({"grafanaAdminPassword": "bench-only"})
    values[f"{PROJECT}:backupSecrets"] = json.dumps({"password": "bench-backup-password"})
    values[f"{PROJECT}:edgeSecrets"] = json.dumps(
        {"cloudflareApiToken": "bench-only", "clientTokenHashes": {"bench": "0" * 64}}
    )
    secret = {f"{PROJECT}:{key}" for key in ("serviceSecrets", "monitoringSecrets", "backupSecrets", "edgeSecrets")}
    return values, config.secret_keys | secret


class RawRecordingMocks(mock_runtime.RecordingMocks):
    """Also keeps each custom resource's raw wire inputs, for the floor to register again unchanged."""

    def __init__(self) -> None:
        super().__init__()
        self.raw: list[tuple[str, str, dict[str, Any]]] = []

    def new_resource(self, args: MockResourceArgs) -> tuple[str | None, dict[Any, Any]]:
        if args.custom:
            self.raw.append((args.typ, args.name, args.inputs))
        return super().new_resource(args)


def record(size: int, out: Path) -> int:
    """Evaluate the program once and save the custom resources it registered (type, name, raw inputs)."""
    values, secret_keys = stack_config(size)
    holder: list[RawRecordingMocks] = []

    class Capture(RawRecordingMocks):
        def __init__(self) -> None:
            super().__init__()
            holder.append(self)

    original = mock_runtime.RecordingMocks
    mock_runtime.RecordingMocks = Capture  # type: ignore[misc]
    try:
        evaluate(STACK, values, secret_keys, run)
    finally:
        mock_runtime.RecordingMocks = original  # type: ignore[misc]
    out.write_bytes(pickle.dumps(holder[0].raw))
    return len(holder[0].raw)


def resource_class(type_token: str) -> Any:
    """The provider SDK class a type token belongs to, e.g. kubernetes:apps/v1:Deployment -> k8s.apps.v1.Deployment."""
    package, module, kind = type_token.split(":")
    if package == "kubernetes":
        group, version = module.split("/")
        python_group = {"core": "core", "helm.sh": "helm"}.get(group, group.split(".")[0])
        try:
            return getattr(importlib.import_module(f"pulumi_kubernetes.{python_group}.{version}"), kind)
        except (ImportError, AttributeError):
            return None  # a custom resource kind: registered through apiextensions.CustomResource
    return getattr(importlib.import_module(f"pulumi_{package.replace('-', '_')}"), kind)


def snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def floor_program(records: list[tuple[str, str, dict[str, Any]]], raw: bool) -> None:
    """The same custom resources with the same inputs, with no components, settings or renderers.

    `raw=False` goes through the provider SDK classes (what any program pays); `raw=True` through bare
    `pulumi.CustomResource`, Pulumi's own lower bound.
    """
    providers: dict[str, pulumi.ProviderResource] = {}
    for type_token, name, inputs in records:
        package = type_token.split(":", 1)[0]
        if package == "pulumi":
            package = type_token.removeprefix("pulumi:providers:")
            providers[package] = pulumi.ProviderResource(package, name, inputs)
            continue
        opts = pulumi.ResourceOptions(provider=providers.get(package))
        cls = None if raw else resource_class(type_token)
        if raw:
            pulumi.CustomResource(type_token, name, inputs, opts)
        elif cls is None:
            pulumi_kubernetes.apiextensions.CustomResource(
                name, **{snake(key): value for key, value in inputs.items()}, opts=opts
            )
        else:
            cls(name, opts=opts, **{snake(key): value for key, value in inputs.items()})


def timed(fn: Any) -> tuple[float, int]:
    """CPU seconds of this process (all its threads) for one evaluation: steadier than wall time on a busy machine."""
    gc.collect()
    started = time.process_time()
    evaluation = fn()
    return time.process_time() - started, len(evaluation.registrations)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, required=True)
    parser.add_argument("--side", choices=["program", "floor", "raw-floor", "record"], required=True)
    parser.add_argument("--records", type=Path, required=True)
    args = parser.parse_args()
    if args.side == "record":
        print(json.dumps({"customs": record(args.size, args.records)}))
        return
    values, secret_keys = stack_config(args.size)
    if args.side == "program":

        def once() -> Any:
            return evaluate(STACK, values, secret_keys, run)
    else:
        records = pickle.loads(args.records.read_bytes())
        raw = args.side == "raw-floor"

        def once() -> Any:
            return evaluate(STACK, {}, frozenset(), lambda: floor_program(records, raw))

    once()  # warm-up: lazy submodule imports and first-use caches are not the program's cost
    samples = [timed(once) for _ in range(REPEATS)]
    seconds = statistics.median(sample for sample, _ in samples)
    registered = samples[0][1]
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "registered": registered, "peak_mib": round(peak_mib, 1)}))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
