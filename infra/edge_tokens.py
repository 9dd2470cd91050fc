"""Client tokens of the edge: the worker stores only SHA-256 digests, so a leaked stack file grants nothing."""

from __future__ import annotations

import hashlib
import re
import secrets

from infra.settings import CLIENT_NAME

# 32 random bytes, URL-safe base64: inside RFC 6750's token alphabet, which the worker enforces.
TOKEN_BYTES = 32


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    """What `edgeSecrets.clientTokenHashes.<client>` holds; the same as `printf %s "$TOKEN" | sha256sum`."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def check_client_name(name: str) -> str | None:
    """The problem with a client name, or None; the name reaches the origin in the X-MCP-Client header."""
    if re.fullmatch(CLIENT_NAME, name) is None:
        return f"'{name}' is not a valid client name; use 1-64 letters, digits, '.', '_' or '-', starting alphanumeric"
    return None


def instructions(client: str, stack: str | None, token: str) -> str:
    stack_option = f" --stack {stack}" if stack else ""
    digest = token_hash(token)
    return "\n".join(
        [
            f"New token for client '{client}' (give it to the client now; only its hash is stored):",
            f"  {token}",
            "Store its hash, then deploy:",
            f"  pulumi config set{stack_option} --secret --path 'edgeSecrets.clientTokenHashes.{client}' {digest}",
            f"  pulumi up{stack_option}",
            "Revoke it later with:",
            f"  pulumi config rm{stack_option} --path 'edgeSecrets.clientTokenHashes.{client}'",
            f"  pulumi up{stack_option}",
        ]
    )
