"""`python -m infra render`: files a reviewer can read, secrets redacted, user mistakes without tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import yaml

from infra.stack_files import PROJECT_DIR


def render_cli(*args: str, cwd: Path = PROJECT_DIR) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "infra", "render", *args], cwd=cwd, capture_output=True, text=True, timeout=120
    )


def test_render_writes_resources_and_one_manifest_per_object(tmp_path: Path) -> None:
    result = render_cli("--stack", "prod", "--out", str(tmp_path / "prod"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"Rendered stack 'prod' to {tmp_path / 'prod'}: ")
    assert "kubernetes:apps/v1:StatefulSet" in result.stdout
    resources = json.loads((tmp_path / "prod" / "resources.json").read_text())
    assert all(set(entry) == {"type", "name", "parent", "inputs", "options"} for entry in resources)
    claims = [r for r in resources if r["type"] == "kubernetes:core/v1:PersistentVolumeClaim"]
    assert claims and all(r["options"]["protect"] and r["options"]["retainOnDelete"] for r in claims)
    manifests = list((tmp_path / "prod" / "kubernetes").glob("*.yaml"))
    kubernetes_objects = [
        r for r in resources if r["type"].startswith("kubernetes:") and not r["type"].startswith("kubernetes:helm.sh/")
    ]
    assert len(manifests) == len(kubernetes_objects)
    service = yaml.safe_load((tmp_path / "prod" / "kubernetes" / "mcp-prod_service_memory.yaml").read_text())
    assert service["spec"]["ports"][0]["port"] == 8000  # integral numbers stay integers


def test_unknown_stack_is_a_clear_error(tmp_path: Path) -> None:
    result = render_cli("--stack", "qa", "--out", str(tmp_path))
    assert result.returncode == 2
    assert (
        result.stderr
        == "error: no stack file Pulumi.qa.yaml for stack 'qa'; known stacks: dev, e2e, koyeb, prod, staging\n"
    )


def test_bad_config_exits_non_zero_with_the_problems_and_no_traceback(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "Pulumi.yaml").write_text((PROJECT_DIR / "Pulumi.yaml").read_text())
    (project / "Pulumi.broken.yaml").write_text(
        yaml.safe_dump(
            {
                "config": {
                    "mcp-suite:target": "kubernetes",
                    "mcp-suite:network": {"ingressHost": "mcp-origin.example.com"},
                    "mcp-suite:images": {"registry": "registry.example.com/mcp-suite"},
                    "mcp-suite:backup": {"repository": "s3:https://s3.example.com/bucket/broken"},
                    "mcp-suite:serviceOverrides": {"everything": {"tier": "huge", "port": 0}},
                    "mcp-suite:colour": "blue",
                }
            }
        )
    )
    code = (
        "import sys, infra.stack_files as f; from pathlib import Path; "
        f"f.PROJECT_DIR = Path({str(project)!r}); from infra.__main__ import main; "
        f"sys.exit(main(['render', '--stack', 'broken', '--out', {str(tmp_path / 'out')!r}]))"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_DIR, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "Invalid configuration for stack 'broken' (3 problems)" in result.stderr
    assert "mcp-suite:services.everything.tier" in result.stderr
    assert not (tmp_path / "out").exists()


def test_secret_values_never_reach_the_render(render_dir: Callable[[str], Path]) -> None:
    text = (render_dir("staging") / "resources.json").read_text()
    assert "4dabf18193072939515e22adb298388d" not in text
