"""Ask each stdio MCP server for its tools with the official Python SDK, as `python -m infra tool-manifest` needs.

`python tool_surface.py SCRATCH_DIR` reads `{command: {env, mounts}}` as JSON on stdin and prints the manifest
`{command: [{name, description, inputSchemaSha256}]}`. Each command runs as the bridge would run it, split like
a shell splits it, with the service's plain environment; every volume path it names is replaced by an empty
directory under SCRATCH_DIR (and put back in what the server says), so the manifest does not depend on the
machine. npx fetches the pinned package from the npm registry, as the bridge does at start.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import shlex
import sys
from pathlib import Path
from typing import Any

from mcp import Client, StdioServerParameters


async def tools_of(command: str, env: dict[str, str], mounts: list[str], scratch: Path) -> list[dict[str, str]]:
    stand_ins = {mount: str(scratch / f"volume-{index}") for index, mount in enumerate(mounts)}
    for directory in stand_ins.values():
        Path(directory).mkdir(parents=True, exist_ok=True)

    def local(text: str) -> str:
        for mount, directory in stand_ins.items():
            text = text.replace(mount, directory)
        return text

    def deployed(text: str) -> str:
        for mount, directory in stand_ins.items():
            text = text.replace(directory, mount)
        return text

    argv = [local(part) for part in shlex.split(command)]
    environment = {
        "PATH": os.environ["PATH"],
        "HOME": str(scratch / "home"),
        "npm_config_cache": str(scratch / "npm"),
        "npm_config_update_notifier": "false",
        **{name: local(value) for name, value in env.items()},
    }
    parameters = StdioServerParameters(command=argv[0], args=argv[1:], env=environment)
    async with Client(parameters) as client:
        listed = await client.list_tools()
    entries = []
    for tool in listed.tools:
        schema = json.dumps(json.loads(deployed(json.dumps(tool.input_schema))), sort_keys=True, separators=(",", ":"))
        entries.append(
            {
                "name": tool.name,
                "description": deployed((tool.description or "").strip()),
                "inputSchemaSha256": hashlib.sha256(schema.encode()).hexdigest(),
            }
        )
    return sorted(entries, key=lambda entry: entry["name"])


async def main(scratch: Path) -> None:
    request: dict[str, Any] = json.load(sys.stdin)
    manifest = {}
    for command, source in sorted(request.items()):
        manifest[command] = await tools_of(command, source["env"], source["mounts"], scratch)
    print(json.dumps(manifest))


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1])))
