"""Ask each stdio MCP server for its tools with the official Python SDK, as `python -m infra tool-manifest` needs.

`python tool_surface.py SCRATCH_DIR` reads `{command: {argv, serverDir, env, mounts}}` as JSON on stdin and prints
the manifest `{command: [{name, description, inputSchemaSha256}]}`. Each server runs from `serverDir` (the image's
server folder, installed from its lockfile) through the bridge's own command resolver (`argv`), with the service's
plain environment; every volume path it names is replaced by an empty directory under SCRATCH_DIR (and put back in
what the server says), so the manifest does not depend on the machine.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import sys
from pathlib import Path
from typing import Any

from mcp import Client, StdioServerParameters


async def tools_of(
    argv: list[str], server_dir: str, env: dict[str, str], mounts: list[str], scratch: Path
) -> list[dict[str, str]]:
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

    command = [local(part) for part in argv]
    environment = {
        "PATH": os.environ["PATH"],
        "HOME": str(scratch / "home"),
        "MCP_SERVER_DIR": server_dir,
        **{name: local(value) for name, value in env.items()},
    }
    parameters = StdioServerParameters(command=command[0], args=command[1:], env=environment)
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
        manifest[command] = await tools_of(
            source["argv"], source["serverDir"], source["env"], source["mounts"], scratch
        )
    print(json.dumps(manifest))


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1])))
