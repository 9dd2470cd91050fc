"""Evaluate the real program under Pulumi's own mocks and record every registration.

Used by `python -m infra render` and by the tests. Nothing here is faked beyond what the Pulumi engine and
providers would compute: the program itself, its settings and its components run unchanged.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi.runtime import settings as runtime_settings
from pulumi.runtime.mocks import MockCallArgs, MockResourceArgs, Mocks, set_mocks
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from infra.settings import PROJECT

SECRET_SIG = "4dabf18193072939515e22adb298388d"
REDACTED = "[secret]"


class UnmockedCallError(Exception):
    """The program called a provider function that no test or render knows how to answer."""


@dataclass
class Registration:
    """One resource as the engine saw it: wire-format inputs and the options the program set."""

    type: str
    name: str
    custom: bool
    inputs: dict[str, Any]
    parent: str | None = None
    options: dict[str, Any] = field(default_factory=dict)
    policy_inputs: dict[str, Any] = field(default_factory=dict, repr=False)
    """Inputs as the engine hands them to a policy pack: secrets decrypted. Never written to a render."""
    wire_inputs: dict[str, Any] = field(default_factory=dict, repr=False)
    """Inputs as the engine received them, secrets still wrapped (never written out); for tests of secrecy."""

    def as_json(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "name": self.name,
            "parent": self.parent,
            "inputs": self.inputs,
            "options": self.options,
        }


# Provider outputs that the program reads and the engine would compute; everything else echoes inputs.
COMPUTED_OUTPUTS: dict[str, Callable[[MockResourceArgs], dict[str, Any]]] = {
    "docker:index/remoteImage:RemoteImage": lambda args: {"imageId": f"sha256:{'0' * 64}", "repoDigest": ""},
    # A build's digest exists only once the engine has built and pushed it. This stand-in is derived from the
    # content-addressed tag, so a render changes exactly when what would be built changes.
    "docker:index/image:Image": lambda args: {"repoDigest": _mock_repo_digest(args.inputs)},
    # Koyeb assigns each App a host `<app>-<organisation>[-<hash>].koyeb.app`; the organisation is the token's.
    "koyeb:index/app:App": lambda args: {
        "domains": [{"name": f"{args.inputs['name']}-mock-org.koyeb.app", "type": "AUTOASSIGNED"}]
    },
    "tls:index/privateKey:PrivateKey": lambda args: {"privateKeyPem": "<mock private key PEM>"},
    "tls:index/selfSignedCert:SelfSignedCert": lambda args: {"certPem": "<mock certificate PEM>"},
    "tls:index/certRequest:CertRequest": lambda args: {"certRequestPem": "<mock certificate request PEM>"},
    "tls:index/locallySignedCert:LocallySignedCert": lambda args: {"certPem": "<mock client certificate PEM>"},
}

# Provider functions the program calls, and what each answers under mocks; any other call is an error.
KNOWN_CALLS: dict[str, Callable[[MockCallArgs], dict[str, Any]]] = {
    # Cloudflare derives a tunnel's token from its id and secret; the stand-in names only the tunnel.
    "cloudflare:index/getZeroTrustTunnelCloudflaredToken:getZeroTrustTunnelCloudflaredToken": lambda args: {
        "token": f"<mock token of tunnel {args.args.get('tunnelId')}>"
    },
}


def _mock_repo_digest(inputs: dict[str, Any]) -> str:
    name = str(inputs.get("imageName", ""))
    if inputs.get("skipPush") is True:
        return ""
    repository = name.rsplit(":", 1)[0]
    return f"{repository}@sha256:{hashlib.sha256(name.encode()).hexdigest()}"


class RecordingMocks(Mocks):
    """Records registrations in order; answers no provider function, so an unexpected invoke fails loudly."""

    def __init__(self) -> None:
        self.registrations: list[Registration] = []

    def new_resource(self, args: MockResourceArgs) -> tuple[str | None, dict[Any, Any]]:
        self.registrations.append(
            Registration(
                type=args.typ,
                name=args.name,
                custom=bool(args.custom),
                inputs=clean(args.inputs),
                policy_inputs=clean(args.inputs, reveal_secrets=True),
                wire_inputs=dict(args.inputs),
            )
        )
        state = dict(args.inputs)
        computed = COMPUTED_OUTPUTS.get(args.typ)
        if computed is not None:
            state.update(computed(args))
        return f"{args.name}-id", state

    def call(self, args: MockCallArgs) -> tuple[dict[Any, Any], list[tuple[str, str]] | None]:
        known = KNOWN_CALLS.get(args.token)
        if known is not None:
            return known(args), []
        raise UnmockedCallError(f"unexpected provider function call {args.token} with {sorted(args.args)}")


@dataclass
class Evaluation:
    stack: str
    registrations: list[Registration]
    result: Any = None

    def of_type(self, type_token: str) -> list[Registration]:
        return [entry for entry in self.registrations if entry.type == type_token]

    def named(self, name: str, type_token: str | None = None) -> Registration:
        matches = [r for r in self.registrations if r.name == name and (type_token is None or r.type == type_token)]
        if len(matches) != 1:
            raise KeyError(f"{len(matches)} registrations named {name!r} (type {type_token})")
        return matches[0]

    def children_of(self, parent: str) -> list[Registration]:
        return [entry for entry in self.registrations if entry.parent == parent]

    def service_container(self, service: str) -> Registration:
        """The Docker container of catalog service `service`, whichever name form it has (a stateless service's is
        named like its container, `mcp-<stack>-<service>`; a stateful one's `<service>-container`)."""
        (container,) = [
            entry for entry in self.children_of(service) if entry.type == "docker:index/container:Container"
        ]
        return container


def evaluate(
    stack: str,
    config: Mapping[str, str],
    secret_keys: frozenset[str],
    program: Callable[[], Any],
    *,
    preview: bool = False,
) -> Evaluation:
    """Run `program` as stack `stack` with `config` under mocks; return what it registered, with options."""
    loop = asyncio.new_event_loop()
    # The SDK sends every registration to the monitor on the loop's executor. The mock monitor answers in Python
    # at once, so one thread serves it; asyncio's default (cores + 4 threads) only makes them fight over the GIL,
    # which cost about a quarter of every evaluation's CPU time.
    executor = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="mock-monitor")
    loop.set_default_executor(executor)
    asyncio.set_event_loop(loop)
    mocks = RecordingMocks()
    # A fresh root stack per evaluation: set_mocks keeps an existing one, and with it every stack
    # transformation an earlier evaluation in this process registered.
    runtime_settings.ROOT.set(None)
    set_mocks(mocks, project=PROJECT, stack=stack, preview=preview)
    pulumi.runtime.set_all_config(dict(config), sorted(secret_keys))
    options: dict[tuple[str, str], tuple[str | None, dict[str, Any]]] = {}
    outcome: dict[str, Any] = {}

    def record_options(args: pulumi.ResourceTransformationArgs) -> None:
        opts = args.opts
        parent = opts.parent.pulumi_resource_name if opts.parent is not None else None
        depends = opts.depends_on if isinstance(opts.depends_on, list) else [opts.depends_on] if opts.depends_on else []
        options[(args.type_, args.name)] = (
            parent,
            {
                "protect": bool(opts.protect),
                "retainOnDelete": bool(opts.retain_on_delete),
                "dependsOn": sorted(dep.pulumi_resource_name for dep in depends if isinstance(dep, pulumi.Resource)),
                "aliases": [alias if isinstance(alias, str) else _alias_text(alias) for alias in opts.aliases or []],
                # None leaves it to the provider (the docker provider always deletes first); False overrides that.
                "deleteBeforeReplace": opts.delete_before_replace,
                "replaceWith": sorted(dep.pulumi_resource_name for dep in opts.replace_with or []),
                "additionalSecretOutputs": sorted(opts.additional_secret_outputs or []),
                "ignoreChanges": sorted(opts.ignore_changes or []),
            },
        )

    def main() -> None:
        pulumi.runtime.register_stack_transformation(lambda args: record_options(args))
        outcome["result"] = program()

    try:
        _sync_await(run_pulumi_func(main))
    finally:
        loop.close()
        executor.shutdown()
        asyncio.set_event_loop(None)
        # The runtime's globals would keep this evaluation's root stack, and through it every resource, alive
        # until the next evaluation replaced them; released now, they go before the next one starts. (The
        # runtime still remembers the last mock monitor as its settings' default: registration records only.)
        runtime_settings.reset_options(project=PROJECT, stack=stack)
    for entry in mocks.registrations:
        parent, recorded = options.get((entry.type, entry.name), (None, {}))
        entry.parent, entry.options = parent, recorded
    # Registrations reach the mocks from the SDK's worker threads in no fixed order: sorted, every render and
    # every assertion over them is the same from one run to the next.
    registrations = sorted(mocks.registrations, key=lambda entry: (entry.type, entry.name))
    return Evaluation(stack=stack, registrations=registrations, result=outcome.get("result"))


def _alias_text(alias: Any) -> str:
    name = getattr(alias, "name", None)
    return f"alias(name={name})" if name is not None else "alias"


def clean(value: Any, *, reveal_secrets: bool = False) -> Any:
    """Wire value -> plain JSON: secrets redacted (or revealed), integral floats as ints, resources by name."""
    if isinstance(value, dict):
        if value.get(SECRET_SIG) == "1b47061264138c4ac30d75fd1eb44270":
            return clean(value.get("value"), reveal_secrets=True) if reveal_secrets else REDACTED
        return {key: clean(item, reveal_secrets=reveal_secrets) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean(item, reveal_secrets=reveal_secrets) for item in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, pulumi.Resource):
        return f"<resource {value.pulumi_resource_name}>"
    return value
