"""Every long-running container of the Docker stack keeps its logs bounded, so none can fill the host's disk.

Read-only root, dropped capabilities and no-new-privileges on every running container are the policy pack's rules,
checked over every stack in tests/conformance/test_policies_on_stacks.py; log bounds are not a policy, so here.
"""

from __future__ import annotations

from typing import Any

from tests.helpers.stacks import rendered

CONTAINER = "docker:index/container:Container"
LOG_CEILING_MIB = 32
"""Most disk one container's logs may take (json-file keeps `max-file` files of `max-size` each)."""
RUN_ONCE = {"gateway-config-writer", "storage-ownership"}
"""Containers that never run (the gateway's upload carrier) or run one short command and exit."""


def size_mib(size: str) -> float:
    """Docker's `max-size` (`10m`, `512k`, `1g`) in MiB."""
    units = {"k": 1 / 1024, "m": 1, "g": 1024}
    return float(size[:-1]) * units[size[-1].lower()]


def long_running(inputs: dict[str, Any]) -> bool:
    return inputs.get("start") is not False and inputs.get("mustRun") is not False


def test_every_long_running_container_restarts_and_bounds_its_logs() -> None:
    containers = {entry.name: entry.inputs for entry in rendered("dev").of_type(CONTAINER)}
    serving = {name: inputs for name, inputs in containers.items() if long_running(inputs)}
    # Every file carrier (a writer per container that reads generated files) never runs.
    writers = {name for name in containers if name.endswith("-config-writer")}
    assert set(containers) - set(serving) == RUN_ONCE | writers
    assert {"gateway-config-writer", "monitoring-prometheus-config-writer"} <= writers
    assert {"gateway-container", "backups-container", "monitoring-prometheus", "memory-container"} <= set(serving)
    for name, inputs in serving.items():
        assert inputs.get("restart") == "unless-stopped", name
        assert inputs.get("logDriver") == "json-file", name
        options = inputs.get("logOpts", {})
        assert "max-size" in options and "max-file" in options, name
        assert size_mib(options["max-size"]) * int(options["max-file"]) <= LOG_CEILING_MIB, name
