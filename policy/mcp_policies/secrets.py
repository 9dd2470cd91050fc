"""Recognising secret values that would end up in plain text: by the variable's name or by the value's shape.

The engine hands policies secret values already decrypted, so a policy cannot tell a Pulumi secret from a literal.
It judges where the value lives instead: a Kubernetes env `value` or a ConfigMap is plain text in the cluster and
in `kubectl describe`; a Docker container's env is plain text in state unless the program declares it a secret
output.
"""

from __future__ import annotations

import re

SECRET_NAME = re.compile(
    r"(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|ACCESS_?KEY|CLIENT_?SECRET|CREDENTIALS?)$|SECRET_",
    re.IGNORECASE,
)
CREDENTIAL_VALUE = re.compile(
    r"-----BEGIN [A-Z ]*PRIVATE KEY-----"
    r"|\bghp_[A-Za-z0-9]{36}\b|\bgithub_pat_[A-Za-z0-9_]{20,}"
    r"|\bAKIA[0-9A-Z]{16}\b|\bxox[abposr]-[A-Za-z0-9-]{10,}|\bglpat-[A-Za-z0-9_-]{20,}|\bsk-[A-Za-z0-9_-]{20,}"
)


def looks_secret(name: str, value: object) -> bool:
    """True for a secret-sounding name with a non-empty value, or a value shaped like a known credential."""
    text = value if isinstance(value, str) else ""
    return bool(text and SECRET_NAME.search(name)) or bool(CREDENTIAL_VALUE.search(text))
