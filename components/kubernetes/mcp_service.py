"""One MCP service on Kubernetes: ConfigMap, Secret, Deployment or StatefulSet, Service, autoscaler, budget."""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_kubernetes as k8s

from components.render import kubernetes_workload as render
from components.render.checkov_skips import skip_annotations, workload_skips
from components.spec import ServiceSpec


@dataclass(frozen=True)
class McpServiceArgs:
    spec: ServiceSpec
    """The service's declaration."""
    image: pulumi.Input[str]
    """Image the pods run: the spec's published image, or the digest of the one the suite built."""
    namespace: str
    """Namespace the objects go in (the suite's namespace)."""
    name_prefix: str
    """Prefix of the suite's shared objects, such as volume claims (`mcp-<stack>`)."""
    public_host: str | None
    """The gateway's host name, which clients outside the cluster reach the service by; None without one."""
    secret_env: dict[str, pulumi.Output[str]] = field(default_factory=dict)
    """Secret environment values (already secret Outputs); keys match `spec.secret_env`."""
    depends_on: list[pulumi.Resource] = field(default_factory=list)
    """Resources every object needs first, such as the namespace."""
    workload_depends_on: list[pulumi.Resource] = field(default_factory=list)
    """Resources the workload needs first, such as its volume claims."""


class McpService(pulumi.ComponentResource):
    """Workload, Service and scaling objects of one MCP server."""

    def __init__(self, name: str, args: McpServiceArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mcp-suite:kubernetes:McpService", name, None, opts)
        spec = args.spec
        # Names are explicit and known now, so objects reference each other by plain strings (no Outputs to
        # await); ordering the engine cannot infer from them is stated with depends_on.
        child = pulumi.ResourceOptions(parent=self, depends_on=args.depends_on)
        labels = render.labels(spec)

        def metadata(object_name: str) -> k8s.meta.v1.ObjectMetaArgsDict:
            return {"name": object_name, "namespace": args.namespace, "labels": labels}

        config_map = k8s.core.v1.ConfigMap(
            f"{name}-env", metadata=metadata(f"{spec.name}-env"), data=render.config_env(spec), opts=child
        )
        secret_name: str | None = None
        if spec.secret_env:
            secret_name = f"{spec.name}-secret-env"
            k8s.core.v1.Secret(
                f"{name}-secret-env",
                metadata=metadata(secret_name),
                type="Opaque",
                string_data={key: args.secret_env[key] for key in spec.secret_env},
                opts=child,
            )
        k8s.core.v1.Service(f"{name}-service", metadata=metadata(spec.name), spec=render.service_spec(spec), opts=child)
        workload_opts = pulumi.ResourceOptions(
            parent=self, depends_on=[*args.depends_on, config_map, *args.workload_depends_on]
        )
        # On the workload, not the pod template: changing a skip must not roll the pods.
        workload_metadata: k8s.meta.v1.ObjectMetaArgsDict = {
            **metadata(spec.name),
            "annotations": skip_annotations(workload_skips(spec)),
        }
        pod = render.PodInputs(
            image=args.image,
            prefix=args.name_prefix,
            config_map_name=f"{spec.name}-env",
            secret_name=secret_name,
            hosts=render.cluster_hosts(spec, args.namespace, args.public_host),
        )
        if spec.stateful:
            k8s.apps.v1.StatefulSet(
                f"{name}-workload",
                metadata=workload_metadata,
                spec=render.stateful_set_spec(spec, pod, service_name=spec.name),
                opts=workload_opts,
            )
        else:
            k8s.apps.v1.Deployment(
                f"{name}-workload",
                metadata=workload_metadata,
                spec=render.deployment_spec(spec, pod),
                opts=workload_opts,
            )
            k8s.autoscaling.v2.HorizontalPodAutoscaler(
                f"{name}-autoscaler",
                metadata=metadata(spec.name),
                spec=render.autoscaler_spec(spec, spec.name),
                opts=child,
            )
            k8s.policy.v1.PodDisruptionBudget(
                f"{name}-disruption-budget",
                metadata=metadata(spec.name),
                spec=render.disruption_budget_spec(spec),
                opts=child,
            )
        self.workload_name: str = spec.name
        self.endpoint: str = f"http://{spec.name}.{args.namespace}.svc.cluster.local:{spec.port}{spec.mcp_path}"
        """In-cluster URL of the MCP endpoint."""
        self.register_outputs({"endpoint": self.endpoint, "workload_name": self.workload_name})
