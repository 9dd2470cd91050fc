"""`python -m infra edge-token`: a new client token, its hash and the commands to store and revoke it."""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys

from infra.stack_files import PROJECT_DIR

# The worker's accepted token syntax (RFC 6750 b64token), as in edge/src/worker.js.
BEARER_TOKEN = re.compile(r"^[A-Za-z0-9\-._~+/]+=*$")


def cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "infra", "edge-token", *args],
        cwd=PROJECT_DIR,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_new_token_comes_with_the_commands_that_store_and_revoke_its_hash() -> None:
    result = cli("--client", "alice", "--stack", "prod")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    token = lines[1].strip()
    assert BEARER_TOKEN.match(token) and len(token) >= 43
    digest = hashlib.sha256(token.encode()).hexdigest()
    assert f"  pulumi config set --stack prod --secret --path 'edgeSecrets.clientTokenHashes.alice' {digest}" in lines
    assert "  pulumi config rm --stack prod --path 'edgeSecrets.clientTokenHashes.alice'" in lines
    assert cli("--client", "alice").stdout.splitlines()[1] != lines[1], "every token is new"


def test_hash_of_an_existing_token_matches_sha256sum() -> None:
    result = cli("--hash-stdin", stdin="my-existing-token\n")
    assert result.returncode == 0
    assert result.stdout == hashlib.sha256(b"my-existing-token").hexdigest() + "\n"


def test_mistakes_are_named_without_traceback() -> None:
    for args, stdin, message in [
        (("--client", "bad name"), None, "error: 'bad name' is not a valid client name"),
        ((), None, "error: name the client with --client <name>"),
        (("--hash-stdin",), "", "error: no token on stdin"),
    ]:
        result = cli(*args, stdin=stdin)
        assert result.returncode == 2
        assert result.stderr.startswith(message), result.stderr
        assert "Traceback" not in result.stderr
