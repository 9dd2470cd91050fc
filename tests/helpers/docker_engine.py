"""The real Docker engine for the image tests: the suite's images built on locally made stand-in bases, and run
exactly as the dev stack declares its containers.

The stand-in bases (images/fixtures/build-base-images) are test fixtures: the same Debian release and the same
official Node.js build as the Dockerfile's default bases, made here because this machine's engine cannot pull.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any, cast

import pytest

from components.render.docker_container import Hardening
from components.render.docker_container import run_flags as hardening_flags
from components.render.image_build import build_plan
from infra.stack_files import PROJECT_DIR
from tests.helpers.tools import require_tool

TEST_REPOSITORY = "mcp-suite-test"


def docker(*args: str, timeout: float = 600, check: bool = True) -> str:
    result = subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout, check=False)
    if check and result.returncode != 0:
        raise AssertionError(f"docker {' '.join(args)} failed ({result.returncode}):\n{result.stderr}")
    return result.stdout.strip()


def require_engine() -> None:
    """A running Docker engine; in CI its absence fails the run (.ci/run starts one), elsewhere the test skips."""
    require_tool("docker")
    if subprocess.run(["docker", "info"], capture_output=True, timeout=60, check=False).returncode != 0:
        message = "no Docker engine answers (`docker info` fails); .ci/run starts dockerd in CI"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)


@cache
def stand_in_bases() -> dict[str, str]:
    """The BUILD_BASE and RUNTIME_BASE build arguments naming the locally made stand-ins."""
    script = PROJECT_DIR / "images" / "fixtures" / "build-base-images"
    result = subprocess.run([str(script)], capture_output=True, text=True, timeout=900, check=False)
    if result.returncode != 0:
        raise AssertionError(f"building the stand-in base images failed:\n{result.stderr}")
    build, runtime = result.stdout.split()
    return {"BUILD_BASE": build, "RUNTIME_BASE": runtime}


@cache
def built_image(server: str) -> str:
    """images/Dockerfile built for one server folder with the build arguments the program passes."""
    plan = build_plan(server)
    reference = f"{TEST_REPOSITORY}/{server}:{plan.tag}"
    arguments = {**plan.build_args("https://example.invalid/mcp-suite"), **stand_in_bases()}
    flags = [item for name, value in arguments.items() for item in ("--build-arg", f"{name}={value}")]
    docker("build", "--quiet", *flags, "--tag", reference, str(PROJECT_DIR / "images"), timeout=900)
    return reference


# The rendered (camelCase) names of the hardening keys, which the program's own `run_flags` turns into flags.
HARDENING_KEYS = {
    "readOnly": "read_only",
    "tmpfs": "tmpfs",
    "capabilities": "capabilities",
    "securityOpts": "security_opts",
    "restart": "restart",
    "logDriver": "log_driver",
    "logOpts": "log_opts",
}


def run_flags(container: Mapping[str, Any], volumes: Mapping[str, str]) -> list[str]:
    """`docker run` flags for a `docker.Container` as the program declares it (its render's inputs).

    The hardening goes through the program's own translation (`components.render.docker_container.run_flags`);
    the rest is translated here. `volumes` maps the program's volume names to the test's. Every key is translated
    or named as left out, so a new setting of the program cannot slip past the tests unnoticed.
    """
    hardening = {HARDENING_KEYS[key]: value for key, value in container.items() if key in HARDENING_KEYS}
    flags = hardening_flags(cast("Hardening", hardening))
    for key, value in container.items():
        if key == "user":
            flags += ["--user", value]
        elif key == "memory":
            flags.append(f"--memory={value}m")
        elif key == "memorySwap":
            flags.append(f"--memory-swap={value}m")
        elif key == "memoryReservation":
            flags.append(f"--memory-reservation={value}m")
        elif key == "cpus":
            flags.append(f"--cpus={value}")
        elif key == "destroyGraceSeconds":
            # The provider stops the container with this timeout before removing it; so does `docker stop` with it.
            flags.append(f"--stop-timeout={value}")
        elif key == "envs":
            flags += [f"--env={entry}" for entry in value]
        elif key == "volumes":
            flags += [
                f"--volume={volumes[mount['volumeName']]}:{mount['containerPath']}{':ro' if mount['readOnly'] else ''}"
                for mount in value
            ]
        elif key not in LEFT_TO_THE_TEST and key not in HARDENING_KEYS:
            raise AssertionError(f"no `docker run` flag for the container setting {key!r}; add it here")
    return flags


LEFT_TO_THE_TEST = {
    "name": "each test names its own container",
    "image": "the image built here from the same Dockerfile",
    "command": "appended after the image",
    "networksAdvanced": "each test attaches its own network",
    "labels": "identify the stack, not the container's behaviour",
    "wait": "a provider option",
    "waitTimeout": "a provider option",
    # `docker run --health-cmd` has only the shell form, which an image without a shell cannot run; the tests run
    # the check's command with `docker exec` instead (`health_command`).
    "healthcheck": "run by the test",
}


def health_command(container: Mapping[str, Any]) -> list[str]:
    """The program's health check of a container, as the argument list Docker executes."""
    tests: Sequence[str] = container["healthcheck"]["tests"]
    assert tests[0] == "CMD", tests
    return list(tests[1:])
