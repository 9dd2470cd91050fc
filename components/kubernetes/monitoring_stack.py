"""The monitoring stack on Kubernetes: kube-prometheus-stack (Grafana inside it unless dashboards are off), Loki and
Alloy (unless logs are off), a blackbox exporter, optional Jaeger, and per service a Probe (and a ServiceMonitor when
it exposes metrics), rules as a PrometheusRule."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components.monitoring_inputs import MonitoringInputs
from components.render.checkov_skips import image_skips, skip_annotations
from components.render.monitoring import kubernetes_objects as objects
from components.render.monitoring import workloads
from components.render.monitoring.alertmanager import alertmanager_config
from components.render.monitoring.dashboards import dashboards
from components.render.monitoring.rules import RuleContext, rule_groups
from components.render.monitoring.text import to_json
from components.render.pod_security import namespace_labels
from components.spec import ServiceSpec


@dataclass(frozen=True)
class MonitoringStackArgs:
    services: tuple[ServiceSpec, ...]
    """The catalog: every service gets a health probe, rules and a dashboard."""
    namespace: pulumi.Input[str]
    """Namespace of the services (and of their Probe, ServiceMonitor and PrometheusRule objects)."""
    services_namespace: str
    """The same namespace as plain text, for DNS names and rule selectors."""
    monitoring_namespace: str
    """Namespace of the stack itself; its Pod Security level is privileged because node-exporter needs the host."""
    gateway_namespace: str
    """Where Envoy Gateway runs the suite's Gateway proxies, whose request metrics the SLOs read."""
    inputs: MonitoringInputs
    """What settings hold for monitoring."""


class MonitoringStack(pulumi.ComponentResource):
    """Metrics, alerts, dashboards and logs for the suite on Kubernetes."""

    def __init__(self, name: str, args: MonitoringStackArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mcp-suite:kubernetes:MonitoringStack", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        mon_ns = args.monitoring_namespace
        namespace = k8s.core.v1.Namespace(
            f"{name}-namespace",
            # node-exporter runs with hostNetwork, hostPID and hostPath mounts: only `privileged` admits it.
            # Warnings and audit stay at `restricted`, so anything else that needs more is still reported.
            metadata={"name": mon_ns, "labels": namespace_labels("privileged")},
            opts=child,
        )
        in_namespace = pulumi.ResourceOptions(parent=self, depends_on=[namespace])

        def meta(object_name: str, namespace_name: pulumi.Input[str] = mon_ns) -> k8s.meta.v1.ObjectMetaArgsDict:
            return {"name": object_name, "namespace": namespace_name, "labels": objects.release_labels()}

        def workload_meta(object_name: str, image: str) -> k8s.meta.v1.ObjectMetaArgsDict:
            return {**meta(object_name), "annotations": skip_annotations(image_skips(image))}

        parts = args.inputs.parts
        # The operator's release needs the secrets it references to exist first.
        stack_needs: list[pulumi.Resource] = [namespace]
        if args.inputs.grafana_admin_password is not None:
            stack_needs.append(
                k8s.core.v1.Secret(
                    f"{name}-grafana-admin",
                    metadata=meta(objects.GRAFANA_ADMIN_SECRET),
                    type="Opaque",
                    string_data={
                        "admin-user": pulumi.Output.from_input("admin"),
                        "admin-password": args.inputs.grafana_admin_password,
                    },
                    opts=in_namespace,
                )
            )
        receiver_secret = k8s.core.v1.Secret(
            f"{name}-alertmanager-receivers",
            metadata=meta(objects.ALERTMANAGER_SECRET),
            type="Opaque",
            string_data={key: value for key, value in sorted(args.inputs.receiver_credentials.items())},
            opts=in_namespace,
        )
        stack_needs.append(receiver_secret)
        jaeger_url = f"http://{objects.JAEGER_NAME}.{mon_ns}.svc:{workloads.JAEGER_UI_PORT}" if parts.tracing else None
        charts = objects.helm_charts(
            mon_ns,
            args.inputs.retention,
            alertmanager_config(args.inputs.receivers, objects.ALERTMANAGER_SECRETS_DIR),
            jaeger_url,
            parts,
        )
        releases: dict[str, k8s.helm.v3.Release] = {}
        for chart in charts:
            needs = stack_needs if chart.release == objects.KPS_RELEASE else [namespace]
            releases[chart.release] = k8s.helm.v3.Release(
                f"{name}-{chart.release}",
                name=chart.release,
                chart=chart.chart,
                version=chart.version,
                repository_opts={"repo": chart.repository},
                namespace=mon_ns,
                values=chart.values,
                opts=pulumi.ResourceOptions(parent=self, depends_on=needs),
            )
        stack = releases[objects.KPS_RELEASE]
        blackbox_config = k8s.core.v1.ConfigMap(
            f"{name}-blackbox-config",
            metadata=meta(objects.BLACKBOX_NAME),
            data={"blackbox.yml": objects.blackbox_config_text()},
            opts=in_namespace,
        )
        k8s.apps.v1.Deployment(
            f"{name}-blackbox-exporter",
            metadata=workload_meta(objects.BLACKBOX_NAME, objects.BLACKBOX_IMAGE),
            spec=workloads.blackbox_deployment_spec(objects.BLACKBOX_IMAGE, objects.BLACKBOX_NAME),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[blackbox_config]),
        )
        k8s.core.v1.Service(
            f"{name}-blackbox-service",
            metadata=meta(objects.BLACKBOX_NAME),
            spec=workloads.service_spec(objects.BLACKBOX_NAME, {"http": workloads.BLACKBOX_PORT}),
            opts=in_namespace,
        )
        if parts.tracing:
            k8s.apps.v1.Deployment(
                f"{name}-jaeger",
                metadata=workload_meta(objects.JAEGER_NAME, objects.JAEGER_IMAGE),
                spec=workloads.jaeger_deployment_spec(objects.JAEGER_IMAGE, objects.JAEGER_NAME),
                opts=in_namespace,
            )
            k8s.core.v1.Service(
                f"{name}-jaeger-service",
                metadata=meta(objects.JAEGER_NAME),
                spec=workloads.service_spec(objects.JAEGER_NAME, workloads.JAEGER_PORTS),
                opts=in_namespace,
            )
        # The dashboards are ConfigMaps for Grafana's sidecar: without Grafana nothing would read them.
        boards = dashboards("kubernetes", args.services, parts) if parts.dashboards else {}
        for file_name, dashboard in boards.items():
            k8s.core.v1.ConfigMap(
                f"{name}-dashboard-{file_name.removesuffix('.json')}",
                metadata={
                    "name": f"dashboard-{file_name.removesuffix('.json')}",
                    "namespace": mon_ns,
                    "labels": {**objects.release_labels(), "grafana_dashboard": "1"},
                },
                data={file_name: to_json(dashboard)},
                opts=in_namespace,
            )
        # Custom resources need the operator's CRDs, which the kube-prometheus-stack release installs.
        needs_crds = pulumi.ResourceOptions(parent=self, depends_on=[stack])
        context = RuleContext(
            target="kubernetes",
            services=args.services,
            container_prefix="",
            namespace=args.services_namespace,
            backup_max_age_hours=args.inputs.backup_max_age_hours,
            parts=parts,
        )
        k8s.apiextensions.CustomResource(
            f"{name}-rules",
            api_version="monitoring.coreos.com/v1",
            kind="PrometheusRule",
            metadata=meta("mcp-suite", args.namespace),
            spec={"groups": rule_groups(context)},
            opts=needs_crds,
        )
        k8s.apiextensions.CustomResource(
            f"{name}-gateway-pod-monitor",
            api_version="monitoring.coreos.com/v1",
            kind="PodMonitor",
            metadata=meta("mcp-gateway", args.namespace),
            spec=objects.gateway_pod_monitor_spec(args.services_namespace, args.gateway_namespace),
            opts=needs_crds,
        )
        for spec in args.services:
            k8s.apiextensions.CustomResource(
                f"{name}-probe-{spec.name}",
                api_version="monitoring.coreos.com/v1",
                kind="Probe",
                metadata=meta(f"{spec.name}-health", args.namespace),
                spec=objects.probe_spec(spec, args.services_namespace, mon_ns),
                opts=needs_crds,
            )
            monitor = objects.service_monitor_spec(spec, args.services_namespace)
            if monitor is not None:
                k8s.apiextensions.CustomResource(
                    f"{name}-service-monitor-{spec.name}",
                    api_version="monitoring.coreos.com/v1",
                    kind="ServiceMonitor",
                    metadata=meta(spec.name, args.namespace),
                    spec=monitor,
                    opts=needs_crds,
                )
        self.ui_services: dict[str, str] = {
            "prometheus": f"svc/{objects.KPS_RELEASE}-prometheus -n {mon_ns}",
            **({"grafana": f"svc/{objects.KPS_RELEASE}-grafana -n {mon_ns}"} if parts.dashboards else {}),
        }
        """What to port-forward to reach each UI that runs: prometheus, and grafana with dashboards."""
        self.register_outputs({"ui_services": self.ui_services})
