"""Composition of the origin lock (an edge on Kubernetes): the worker's only way to the gateway.

`tunnel`: a Cloudflare Tunnel without public hostnames, its connectors in the cluster, and the Workers VPC
service the worker binds; `mtls`: the worker's client certificate, uploaded for its mTLS binding, which the
public gateway requires (docs/network.md).
"""

from __future__ import annotations

import pulumi
import pulumi_cloudflare as cloudflare

from components.cloudflare.origin_tunnel import OriginTunnel, OriginTunnelArgs
from components.kubernetes.tunnel_connector import TunnelConnector, TunnelConnectorArgs
from components.render.edge_worker import OriginBinding
from infra.settings import EdgeDeployment, Settings
from infra.targets.kubernetes import ClusterEntrance


def compose_origin_lock(
    settings: Settings, deployment: EdgeDeployment, cluster: ClusterEntrance, cloudflare_opts: pulumi.ResourceOptions
) -> OriginBinding:
    name = f"{settings.name_prefix}-origin"
    if cluster.client_certificate is not None:
        certificate = cloudflare.MtlsCertificate(
            "origin-client-certificate",
            account_id=deployment.account_id,
            name=name,
            ca=False,
            certificates=cluster.client_certificate.certificate_pem,
            private_key=cluster.client_certificate.private_key_pem,
            opts=cloudflare_opts,
        )
        return OriginBinding(kind="mtls_certificate", id=certificate.id)
    tunnel = OriginTunnel(
        "origin-tunnel",
        OriginTunnelArgs(account_id=deployment.account_id, name=name, gateway_host=cluster.gateway_host),
        opts=cloudflare_opts,
    )
    tunnel_settings = settings.network.tunnel
    TunnelConnector(
        "tunnel-connector",
        TunnelConnectorArgs(
            namespace=cluster.namespace,
            token=tunnel.token,
            image=tunnel_settings.image,
            replicas=tunnel_settings.replicas,
            peers=cluster.peers,
        ),
        opts=cluster.opts,
    )
    return OriginBinding(kind="vpc_service", id=tunnel.service_id)
