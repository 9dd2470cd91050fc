"""The mTLS origin lock's keys: a CA of the stack's own, and the one client certificate it signs, the worker's."""

from __future__ import annotations

import pulumi
import pulumi_tls as tls

VALIDITY_HOURS = 2 * 365 * 24
"""Two years; `pulumi up` re-issues the client certificate a month before it ends."""
RENEW_HOURS_BEFORE_EXPIRY = 30 * 24
CA_VALIDITY_HOURS = 10 * 365 * 24


class OriginClientCertificate(pulumi.ComponentResource):
    """A CA only this stack trusts and the client certificate the edge worker presents to the gateway.

    A CA of the stack's own, not Cloudflare's shared origin-pull certificate: that one is presented on behalf of
    every Cloudflare zone, so trusting it would let any other Cloudflare customer's requests in.
    """

    def __init__(self, name: str, common_name: str, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mcp-suite:OriginClientCertificate", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        ca_key = tls.PrivateKey(f"{name}-ca-key", algorithm="ECDSA", ecdsa_curve="P256", opts=child)
        ca = tls.SelfSignedCert(
            f"{name}-ca",
            private_key_pem=ca_key.private_key_pem,
            subject={"common_name": f"{common_name} origin client CA", "organization": "mcp-suite"},
            is_ca_certificate=True,
            validity_period_hours=CA_VALIDITY_HOURS,
            allowed_uses=["cert_signing", "crl_signing"],
            opts=child,
        )
        key = tls.PrivateKey(f"{name}-key", algorithm="ECDSA", ecdsa_curve="P256", opts=child)
        request = tls.CertRequest(
            f"{name}-request",
            private_key_pem=key.private_key_pem,
            subject={"common_name": f"{common_name} edge worker", "organization": "mcp-suite"},
            opts=child,
        )
        certificate = tls.LocallySignedCert(
            f"{name}-certificate",
            cert_request_pem=request.cert_request_pem,
            ca_private_key_pem=ca_key.private_key_pem,
            ca_cert_pem=ca.cert_pem,
            validity_period_hours=VALIDITY_HOURS,
            early_renewal_hours=RENEW_HOURS_BEFORE_EXPIRY,
            allowed_uses=["digital_signature", "client_auth"],
            opts=child,
        )
        self.ca_pem: pulumi.Output[str] = ca.cert_pem
        """What the gateway trusts."""
        self.certificate_pem: pulumi.Output[str] = certificate.cert_pem
        self.private_key_pem: pulumi.Output[str] = pulumi.Output.secret(key.private_key_pem)
        """The worker's key: uploaded to Cloudflare as its mTLS certificate, never rendered."""
        self.register_outputs({"ca_pem": self.ca_pem})
