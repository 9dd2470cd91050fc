"""A real S3-compatible server on this machine for the backup tests (a test fixture: users bring their own bucket),
run through scripts/lib/s3-server.sh."""

from __future__ import annotations

import secrets
import subprocess
from dataclasses import dataclass
from pathlib import Path

from infra.stack_files import PROJECT_DIR

LIBRARY = PROJECT_DIR / "scripts" / "lib" / "s3-server.sh"


def _library(call: str, *args: str, timeout: float = 1800) -> str:
    result = subprocess.run(
        ["bash", "-c", f'set -euo pipefail; source "$0"; {call} "$@"', str(LIBRARY), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0:
        raise AssertionError(f"{call} failed:\n{result.stderr[-4000:]}")
    return result.stdout


@dataclass(frozen=True)
class S3Server:
    address: str
    data: Path
    access_key: str
    secret_key: str
    pid_file: Path

    def create_bucket(self, bucket: str) -> None:
        _library("create_s3_bucket", self.address, bucket, self.access_key, self.secret_key)

    def objects(self, bucket: str) -> list[str]:
        """Keys in a bucket: the posix backend keeps each object as a file under the bucket's folder."""
        root = self.data / bucket
        return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())

    def stop(self) -> None:
        _library("stop_s3_server", str(self.pid_file), timeout=60)


def start_s3_server(address: str, directory: Path) -> S3Server:
    """The server on `address` (host:port), storing under `directory`, with a fresh key pair."""
    server = S3Server(
        address, directory / "data", "test-" + secrets.token_hex(8), secrets.token_hex(24), directory / "pid"
    )
    _library(
        "start_s3_server",
        address,
        str(server.data),
        server.access_key,
        server.secret_key,
        str(directory / "server.log"),
        str(server.pid_file),
    )
    return server
