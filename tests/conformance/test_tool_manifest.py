"""The committed tool manifest is what the pinned servers really report, asked with the official MCP SDK.

Each stdio server runs from its image's server folder (installed from the lockfile the image is built from) through
the bridge's own command resolver, so a catalog or lockfile change that alters a tool fails here until
`python -m infra tool-manifest` has recorded it in the same pull request.
"""

from __future__ import annotations

import pytest

from infra.stack_files import PROJECT_DIR
from infra.tool_surface import collect, manifest_text, read_manifest, stacks_tool_sources
from tests.helpers.tools import require_tool, require_venv_tool


@pytest.mark.slow
def test_the_committed_manifest_is_what_the_servers_report() -> None:
    require_venv_tool("mcp", "python")
    require_tool("node")
    collected = collect(PROJECT_DIR, stacks_tool_sources())
    assert manifest_text(read_manifest(PROJECT_DIR)) == manifest_text(collected), (
        "catalog-tools.json is stale: run `python -m infra tool-manifest`, review the change and commit it"
    )
