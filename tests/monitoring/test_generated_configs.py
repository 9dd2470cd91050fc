"""Every generated Prometheus, rule and Alertmanager config of the real stacks passes promtool and amtool."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.render.monitoring.docker_stack import CONFIG_DIR
from infra.mock_runtime import Evaluation
from tests.helpers.stacks import evaluate_stack
from tests.helpers.tools import require_tool

RECEIVERS = {
    "monitoring": {"receivers": {"page": {"kind": "pagerduty"}, "ticket": {"kind": "slack", "channel": "#mcp-ops"}}}
}


def run(tool: str, *args: str, cwd: Path) -> str:
    result = subprocess.run([require_tool(tool), *args], cwd=cwd, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout + result.stderr


def docker_files(evaluation: Evaluation, role: str) -> dict[str, str]:
    writer = evaluation.named(f"monitoring-{role}-config-writer", "docker:index/container:Container")
    return {upload["file"]: upload["content"] for upload in writer.inputs["uploads"]}


def write_under(root: Path, files: dict[str, str]) -> None:
    """Recreate the container's config directory under `root`, paths inside files pointing there too."""
    for name, content in files.items():
        path = root / name.lstrip("/")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content.replace(CONFIG_DIR, str(root / CONFIG_DIR.lstrip("/"))))


@pytest.mark.parametrize(
    ("overrides", "rules"),
    [
        # Every default service runs behind the bridge: two per-tool SLOs add 14 recording rules and 4 alerts.
        ({}, 69),
        ({**RECEIVERS, "monitoring": {**RECEIVERS["monitoring"], "tracing": True}}, 69),
        ({"monitoring": {"dashboards": False}}, 69),
        # No Alloy, so no cAdvisor: the two saturation recording rules and their four alerts are left out.
        ({"monitoring": {"logs": False}}, 63),
        ({"monitoring": {"dashboards": False, "logs": False}}, 63),
    ],
    ids=["default", "receivers-tracing", "no-dashboards", "no-logs", "neither"],
)
def test_docker_prometheus_config_and_rules_pass_promtool(
    tmp_path: Path, overrides: dict[str, Any], rules: int
) -> None:
    evaluation = evaluate_stack("dev", overrides=overrides)
    write_under(tmp_path, docker_files(evaluation, "prometheus"))
    config = tmp_path / CONFIG_DIR.lstrip("/") / "prometheus.yml"
    output = run("promtool", "check", "config", str(config), cwd=tmp_path)
    # promtool follows rule_files: the check covers the generated rules too, not an empty glob.
    assert "SUCCESS: 1 rule files found" in output
    assert f"SUCCESS: {rules} rules found" in output


@pytest.mark.parametrize("overrides", [{}, RECEIVERS])
def test_docker_alertmanager_config_passes_amtool(tmp_path: Path, overrides: dict[str, Any]) -> None:
    evaluation = evaluate_stack("dev", overrides=overrides)
    container = evaluation.named("monitoring-alertmanager-config-writer", "docker:index/container:Container")
    if overrides:
        # Receiver credentials are uploaded too, as secrets: the whole upload list is redacted in the render.
        assert container.inputs["uploads"] == "[secret]"
        from components.render.monitoring.alertmanager import Receiver, alertmanager_config
        from components.render.monitoring.text import to_yaml

        text = to_yaml(
            alertmanager_config(
                {"page": Receiver("pagerduty"), "ticket": Receiver("slack", "#mcp-ops")}, f"{CONFIG_DIR}/secrets"
            )
        )
    else:
        text = docker_files(evaluation, "alertmanager")[f"{CONFIG_DIR}/alertmanager.yml"]
    (tmp_path / "alertmanager.yml").write_text(text)
    output = run("amtool", "check-config", "alertmanager.yml", cwd=tmp_path)
    assert "1 inhibit rules" in output and "3 receivers" in output


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_kubernetes_prometheus_rule_passes_promtool(
    tmp_path: Path, render_dir: Callable[[str], Path], stack: str
) -> None:
    manifest = yaml.safe_load(
        (render_dir(stack) / "kubernetes" / f"mcp-{stack}_prometheusrule_mcp-suite.yaml").read_text()
    )
    assert manifest["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    (tmp_path / "rules.yml").write_text(yaml.safe_dump(manifest["spec"]))
    assert "SUCCESS: 69 rules found" in run("promtool", "check", "rules", "rules.yml", cwd=tmp_path)


def test_kubernetes_prometheus_rule_without_dashboards_or_logs_passes_promtool(tmp_path: Path) -> None:
    # The kubelet still exports container CPU and memory: every rule stays.
    evaluation = evaluate_stack("staging", overrides={"monitoring": {"dashboards": False, "logs": False}})
    (rule,) = evaluation.of_type("kubernetes:monitoring.coreos.com/v1:PrometheusRule")
    (tmp_path / "rules.yml").write_text(yaml.safe_dump(rule.inputs["spec"]))
    assert "SUCCESS: 69 rules found" in run("promtool", "check", "rules", "rules.yml", cwd=tmp_path)


@pytest.mark.parametrize("overrides", [{}, RECEIVERS])
def test_kubernetes_alertmanager_config_passes_amtool(tmp_path: Path, overrides: dict[str, Any]) -> None:
    evaluation = evaluate_stack("staging", overrides=overrides)
    values = evaluation.named("monitoring-kube-prometheus-stack").inputs["values"]
    (tmp_path / "alertmanager.yml").write_text(yaml.safe_dump(values["alertmanager"]["config"]))
    run("amtool", "check-config", "alertmanager.yml", cwd=tmp_path)


def test_dev_and_staging_renders_hold_the_generated_configs(render_dir: Callable[[str], Path]) -> None:
    dev = render_dir("dev") / "files"
    for path in (
        "mcp-dev-prometheus-config/etc/mcp-monitoring/prometheus.yml",
        "mcp-dev-prometheus-config/etc/mcp-monitoring/rules/mcp-suite.yml",
        "mcp-dev-blackbox-config/etc/mcp-monitoring/blackbox.yml",
        "mcp-dev-grafana-config/etc/mcp-monitoring/dashboards/mcp-overview.json",
        "mcp-dev-loki-config/etc/mcp-monitoring/loki.yml",
        "mcp-dev-alloy-config/etc/mcp-monitoring/config.alloy",
    ):
        assert (dev / path).is_file(), path
    staging = render_dir("staging")
    assert (staging / "kubernetes" / "mcp-staging_prometheusrule_mcp-suite.yaml").is_file()
    assert (staging / "kubernetes" / "mcp-staging_probe_memory-health.yaml").is_file()
    assert {path.name for path in (staging / "helm").iterdir()} == {
        "kube-prometheus-stack.values.yaml",
        "loki.values.yaml",
        "alloy.values.yaml",
    }
