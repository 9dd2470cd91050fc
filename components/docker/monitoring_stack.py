"""The monitoring stack on local Docker: Prometheus, Alertmanager and the blackbox exporter, with Grafana
(`dashboards`), Loki and Alloy (`logs`) and Jaeger v2 (`tracing`) as their settings say. Configs are generated
from the catalog and uploaded into the containers."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_docker as docker

from components.docker.config_files import config_files
from components.docker.pulled_image import pulled_image
from components.monitoring_inputs import MonitoringInputs
from components.render import labels as common_labels
from components.render.docker_container import hardened, limits
from components.render.monitoring import docker_stack as render


@dataclass(frozen=True)
class MonitoringStackArgs:
    files: render.DockerMonitoringFiles
    """Every generated config file, by container role."""
    name_prefix: str
    """Prefix of container and volume names (`mcp-<stack>`)."""
    stack: str
    """Stack name, recorded as a label."""
    internal_network: pulumi.Input[str]
    """The services' internal network (no route out); monitoring containers join it."""
    publish_network: pulumi.Input[str]
    """Network that carries the loopback-published UI ports (outbound NAT disabled)."""
    publish_address: str
    """Loopback address the UIs are published on."""
    inputs: MonitoringInputs
    """What settings hold for monitoring (the rendered `files` come from the same inputs)."""


class MonitoringStack(pulumi.ComponentResource):
    """Hardened monitoring containers with loopback-only UIs."""

    def __init__(self, name: str, args: MonitoringStackArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mcp-suite:docker:MonitoringStack", name, None, opts)
        urls: dict[str, str] = {}
        for role in render.roles(args.inputs.parts, args.inputs.retention):
            urls.update(self._container(name, role, args))
        self.urls = urls
        """UI URLs on the host of the roles that run: prometheus, alertmanager (grafana, jaeger)."""
        self.register_outputs({"urls": self.urls})

    def _container(self, name: str, role: render.Role, args: MonitoringStackArgs) -> dict[str, str]:
        child = pulumi.ResourceOptions(parent=self)
        label_values = {
            **common_labels.part_of(),
            common_labels.COMPONENT_KEY: "monitoring",
            common_labels.STACK_KEY: args.stack,
        }
        labels: list[docker.ContainerLabelArgsDict] = [{"label": k, "value": v} for k, v in label_values.items()]
        volume_labels: list[docker.VolumeLabelArgsDict] = [{"label": k, "value": v} for k, v in label_values.items()]
        image = pulled_image(f"{name}-{role.name}-image", role.image, child)
        uploads: list[docker.ContainerUploadArgsDict] = [
            {"file": f"{render.CONFIG_DIR}/{path}", "content": text}
            for path, text in sorted(args.files.by_role[role.name].items())
        ]
        if role.name == "alertmanager":
            uploads += [
                {"file": f"{render.ALERTMANAGER_SECRETS_DIR}/{key}", "content": value}
                for key, value in sorted(args.inputs.receiver_credentials.items())
            ]
        # Each container's generated files live on a small config volume, written by a container of their own.
        files = config_files(
            f"{name}-{role.name}",
            volume_name=f"{args.name_prefix}-{role.name}-config",
            image=image,
            mount_path=render.CONFIG_DIR,
            uploads=uploads,
            labels=labels,
            parent=self,
        )
        volumes: list[docker.ContainerVolumeArgsDict] = [
            {"volume_name": files.volume.name, "container_path": render.CONFIG_DIR}
        ]
        if role.data_path is not None:
            data = docker.Volume(
                f"{name}-{role.name}-data",
                name=f"{args.name_prefix}-{role.name}-data",
                labels=volume_labels,
                opts=child,
            )
            volumes.append({"volume_name": data.name, "container_path": role.data_path})
        volumes += [{"host_path": path, "container_path": path, "read_only": True} for path in role.host_mounts]
        allowance_labels: list[docker.ContainerLabelArgsDict] = [
            {"label": k, "value": v} for k, v in render.policy_labels(role).items()
        ]
        envs: list[pulumi.Input[str]] = list(role.env)
        # The password is set exactly when the grafana role runs (MonitoringInputs checks it).
        if role.name == "grafana" and args.inputs.grafana_admin_password is not None:
            envs.append(pulumi.Output.concat("GF_SECURITY_ADMIN_PASSWORD=", args.inputs.grafana_admin_password))
        ports: list[docker.ContainerPortArgsDict] = []
        networks: list[docker.ContainerNetworksAdvancedArgsDict] = [
            {"name": args.internal_network, "aliases": [role.name]}
        ]
        urls: dict[str, str] = {}
        if role.host_port is not None:
            ports.append(
                {"internal": role.port, "external": role.host_port, "ip": args.publish_address, "protocol": "tcp"}
            )
            networks.append({"name": args.publish_network})
            urls[role.name] = f"http://{args.publish_address}:{role.host_port}"
        docker.Container(
            f"{name}-{role.name}",
            name=f"{args.name_prefix}-{role.name}",
            image=image,
            command=role.command,
            user=role.user,
            cgroupns_mode="host" if role.host_cgroup_namespace else None,
            **limits(memory_mib=role.memory_mib, reservation_mib=render.memory_reservation_mib(role), cores=role.cpus),
            labels=[*labels, *allowance_labels],
            envs=envs,
            networks_advanced=networks,
            ports=ports,
            volumes=volumes,
            healthcheck=render.healthcheck(role),
            # `up` succeeds only once a checked container is healthy, so a configuration it cannot start on fails
            # the update instead of leaving monitoring silently down.
            wait=role.healthcheck is not None,
            wait_timeout=120,
            **hardened(),
            opts=pulumi.ResourceOptions(
                parent=self,
                # Starts on its files, and restarts on changed ones.
                depends_on=[files.writer],
                replace_with=[files.writer],
                # Grafana's environment carries its admin password: state keeps every role's `envs` encrypted.
                additional_secret_outputs=["envs"],
            ),
        )
        return urls
