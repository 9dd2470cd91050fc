"""The engine's kubernetes provider plugin. scripts/pulumi-engine builds it from source and regenerates its schema
from the Kubernetes OpenAPI spec (tools/kube-schema), since upstream's schema.json is not in the sources.

It is installed at exactly the version the Python SDK is pinned to, and it answers GetSchema. Its schema is
upstream's: turned into Python by upstream's own SDK step (`pulumi-gen-kubernetes python`, which tools/kube-schema
repeats), it gives the published pulumi_kubernetes wheel byte for byte, but for the files listed below. The CLI's
`pulumi package gen-sdk` turns it into the same modules, classes, properties and resource types. Its code generator
is newer than the one upstream used, so only those names are compared, not the text around them.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
import zipfile
from collections.abc import Iterator, Mapping
from email.parser import BytesParser
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from bench.engine_cli import run_killable
from infra.stack_files import PROJECT_DIR
from tests.helpers.engine import engine_environment

pytestmark = pytest.mark.slow


def engine_list_version(name: str) -> str:
    for line in (PROJECT_DIR / "tools" / "engine.list").read_text().splitlines():
        fields = line.split()
        if fields and fields[0] == name:
            return fields[1]
    raise AssertionError(f"tools/engine.list has no {name}")


VERSION = engine_list_version("kubernetes")
PACKAGE = "pulumi_kubernetes"

# Files of the wheel that no generator writes from the schema. Upstream's sdk/python keeps both in git from an older
# code generator, and the build packs them in along with the rest. The SDK still imports _tables.py (its yaml and
# kustomize overlays do); nothing imports outputs.py.
ONLY_IN_THE_WHEEL = {"_tables.py", "outputs.py"}
# The generator writes the schema's short readme here. The wheel's README is the repository's own README, and it
# is not a file of the package: it becomes the wheel's description (METADATA).
ONLY_GENERATED = {"README.md"}
# Hand-written upstream (provider/pkg/gen/python-templates) and added by pulumi-gen-kubernetes, not by the CLI.
OVERLAYS = {
    "apiextensions/CustomResource.py",
    "apiextensions/CustomResourcePatch.py",
    "helm/v3/helm.py",
    "kustomize/kustomize.py",
    "yaml/yaml.py",
}
# What names a module's API, whatever a version of the code generator writes around it. The CLI's newer generator
# adds an `exists` method to each resource, which the published SDK predates.
NAMES = (
    re.compile(r"^class (\w+)", re.MULTILINE),
    re.compile(r"^    def (\w+)\(", re.MULTILINE),
    re.compile(r'pulumi\.getter\(name="([^"]+)"\)'),
    re.compile(r'pulumi\.get\(self, "(\w+)"\)'),
    re.compile(r'__props__\.__dict__\["(\w+)"\]'),
)
RESOURCE_TYPE = re.compile(r"'kubernetes:[\w./-]+:\w+'")


def built_engine(environment: Mapping[str, str]) -> Path:
    """The engine scripts/pulumi-engine built. A user's own CLI installs the official plugin on demand, and that
    plugin's schema is upstream's own: there is nothing of ours to check."""
    built = environment.get("MCP_SUITE_ENGINE_BUILT")
    if not built:
        message = "the Pulumi CLI on PATH is the user's own: its kubernetes plugin is the official one"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message}; CI builds the engine (scripts/pulumi-engine)")
        pytest.skip(message)
    return Path(built)


@pytest.fixture(scope="module")
def environment() -> dict[str, str]:
    return {**os.environ, **engine_environment()}


def pulumi(environment: Mapping[str, str], cwd: Path, *args: str, timeout: float = 300) -> str:
    return run_killable(["pulumi", *args, "--non-interactive"], cwd, environment, timeout, check=True).stdout


@pytest.fixture(scope="module")
def schema_file(environment: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The schema the installed plugin answers GetSchema with."""
    directory = tmp_path_factory.mktemp("kubernetes-schema")
    path = directory / "schema.json"
    path.write_text(pulumi(environment, directory, "package", "get-schema", f"kubernetes@{VERSION}"))
    return path


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[zipfile.ZipFile]:
    """The published wheel of the pinned SDK (from pip's cache once downloaded)."""
    directory = tmp_path_factory.mktemp("kubernetes-wheel")
    command = [sys.executable, "-m", "pip", "download", f"{PACKAGE}=={VERSION}", "--no-deps", "--only-binary=:all:"]
    command += ["--disable-pip-version-check", "--quiet", "--dest", str(directory)]
    subprocess.run(command, check=True, timeout=600)
    (path,) = directory.glob(f"{PACKAGE}-{VERSION}-*.whl")
    with zipfile.ZipFile(path) as opened:
        yield opened


def package_files(wheel: zipfile.ZipFile) -> dict[str, bytes]:
    """The wheel's files of the package, by their path inside it."""
    prefix = f"{PACKAGE}/"
    return {name.removeprefix(prefix): wheel.read(name) for name in wheel.namelist() if name.startswith(prefix)}


def tree(directory: Path) -> dict[str, bytes]:
    files = (path for path in directory.rglob("*") if path.is_file())
    return {path.relative_to(directory).as_posix(): path.read_bytes() for path in files}


def test_the_engine_builds_the_version_the_sdk_is_pinned_to() -> None:
    pins = (PROJECT_DIR / "requirements.txt").read_text()
    assert f"{PACKAGE}=={VERSION}" in pins.splitlines(), f"requirements.txt does not pin {PACKAGE}=={VERSION}"


def test_the_plugin_is_installed_at_exactly_the_pinned_version(environment: dict[str, str], tmp_path: Path) -> None:
    built_engine(environment)
    plugins = json.loads(pulumi(environment, tmp_path, "plugin", "ls", "--json"))
    kubernetes = [plugin for plugin in plugins if (plugin["kind"], plugin["name"]) == ("resource", "kubernetes")]
    versions = [plugin["version"] for plugin in kubernetes]
    assert versions == [VERSION]


def test_the_plugin_answers_get_schema(schema_file: Path) -> None:
    schema = json.loads(schema_file.read_text())
    assert (schema["name"], schema["version"]) == ("kubernetes", VERSION)
    # Current APIs, and those removed from Kubernetes that upstream keeps by merging older OpenAPI specs in.
    for resource in ("kubernetes:apps/v1:Deployment", "kubernetes:extensions/v1beta1:Deployment"):
        assert resource in schema["resources"]


def test_upstreams_python_step_turns_the_schema_into_the_published_sdk(
    environment: dict[str, str], schema_file: Path, wheel: zipfile.ZipFile, tmp_path: Path
) -> None:
    libexec = built_engine(environment) / "libexec"
    templates = libexec / "kubernetes-python-templates"
    command = [str(libexec / "kube-schema"), "python", str(schema_file), str(templates), VERSION, str(tmp_path)]
    subprocess.run(command, check=True, timeout=300)
    generated, published = tree(tmp_path / PACKAGE), package_files(wheel)

    different = sorted(name for name in generated.keys() & published.keys() if generated[name] != published[name])
    assert different == []
    assert generated.keys() - published.keys() == ONLY_GENERATED
    assert published.keys() - generated.keys() == ONLY_IN_THE_WHEEL
    assert len(generated.keys() & published.keys()) > 700  # every module of every API group, not a few

    # The package's own metadata: the wheel's version and dependencies are those the generator writes.
    project = tomllib.loads((tmp_path / "pyproject.toml").read_text())["project"]
    metadata_file = next(name for name in wheel.namelist() if name.endswith(".dist-info/METADATA"))
    metadata = BytesParser().parsebytes(wheel.read(metadata_file))
    assert project["version"] == metadata["Version"] == VERSION
    assert {str(Requirement(spec)) for spec in project["dependencies"]} == {
        str(Requirement(spec)) for spec in metadata.get_all("Requires-Dist", [])
    }


def test_the_cli_generates_the_published_sdks_modules_and_names(
    environment: dict[str, str], schema_file: Path, wheel: zipfile.ZipFile, tmp_path: Path
) -> None:
    pulumi(environment, tmp_path, "package", "gen-sdk", str(schema_file), "--language", "python", "--out", "sdk")
    generated, published = tree(tmp_path / "sdk" / "python" / PACKAGE), package_files(wheel)

    assert generated.keys() - published.keys() == ONLY_GENERATED
    assert published.keys() - generated.keys() == ONLY_IN_THE_WHEEL | OVERLAYS
    mismatched = []
    for name in sorted(generated.keys() & published.keys()):
        if not name.endswith(".py"):
            continue
        ours, theirs = generated[name].decode(), published[name].decode()
        same_types = set(RESOURCE_TYPE.findall(ours)) == set(RESOURCE_TYPE.findall(theirs))
        same_names = all(
            [found for found in pattern.findall(ours) if found != "exists"] == pattern.findall(theirs)
            for pattern in NAMES
        )
        if not (same_types and same_names):
            mismatched.append(name)
    assert mismatched == []
