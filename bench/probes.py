"""A client that keeps asking one service for an answer through the gateway while a change is applied, and
counts the requests that got none: what a user of the service would see during the change.

Each probe is one MCP exchange over a kept-alive HTTPS connection, as a client library holds one. A service with
sessions in memory is probed with a whole short session (initialize, then DELETE), since a session cannot outlive
the container that holds it; a stateless one with a `ping`.
"""

from __future__ import annotations

import http.client
import json
import ssl
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "probe", "version": "1"}},
}
PING = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
HEADERS = {
    "Content-Type": "application/json",
    "Accept": "application/json, text/event-stream",
    "MCP-Protocol-Version": "2025-11-25",
}


class Unanswered(Exception):
    """The exchange got no answer: a status other than 200, or a body without a JSON-RPC result."""


@dataclass
class Probe:
    """Probes `path` on the gateway at `host`:`port` from a thread of its own, between `start()` and `stop()`."""

    path: str
    ca_file: Path | None
    """CA of the gateway's certificate; None probes over plain HTTP (a Service inside a cluster)."""
    sessions: bool
    host: str = "127.0.0.1"
    port: int = 8443
    pause_seconds: float = 0.05
    answered: int = 0
    failures: list[tuple[float, str]] = field(default_factory=list)
    """(seconds since start, why) per probe that got no answer."""
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> Probe:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> Probe:
        self._stop.set()
        assert self._thread is not None
        self._thread.join(timeout=60)
        return self

    @property
    def downtime_seconds(self) -> float:
        """From the first probe that got no answer to the last: how long the service was unreachable."""
        return self.failures[-1][0] - self.failures[0][0] if self.failures else 0.0

    def summary(self) -> str:
        return (
            f"{self.path}: {self.answered} answered, {len(self.failures)} unanswered "
            f"over {self.downtime_seconds:.1f} s" + (f" (first: {self.failures[0][1]})" if self.failures else "")
        )

    def _run(self) -> None:
        tls = ssl.create_default_context(cafile=str(self.ca_file)) if self.ca_file is not None else None
        connection: http.client.HTTPConnection | None = None
        started = time.monotonic()
        while not self._stop.is_set():
            if connection is None:
                connection = (
                    http.client.HTTPSConnection(self.host, self.port, context=tls, timeout=30)
                    if tls is not None
                    else http.client.HTTPConnection(self.host, self.port, timeout=30)
                )
            try:
                self._exchange(connection)
                self.answered += 1
            # Whatever broke the exchange, the client saw no answer; a new connection is its next try.
            except (OSError, http.client.HTTPException, Unanswered) as error:
                self.failures.append((time.monotonic() - started, f"{type(error).__name__}: {error}"[:300]))
                connection.close()
                connection = None
            time.sleep(self.pause_seconds)
        if connection is not None:
            connection.close()

    def _exchange(self, connection: http.client.HTTPConnection) -> None:
        if not self.sessions:
            self._post(connection, PING, {})
            return
        session = self._post(connection, INITIALIZE, {}).getheader("mcp-session-id")
        if session is None:
            raise Unanswered("initialize answered without a session id")
        connection.request("DELETE", self.path, headers={**HEADERS, "Mcp-Session-Id": session})
        response = connection.getresponse()
        response.read()
        if response.status != 200:
            raise Unanswered(f"DELETE of the session: {response.status}")

    def _post(
        self, connection: http.client.HTTPConnection, message: dict[str, object], headers: dict[str, str]
    ) -> http.client.HTTPResponse:
        connection.request("POST", self.path, body=json.dumps(message), headers={**HEADERS, **headers})
        response = connection.getresponse()
        body = response.read().decode(errors="replace")
        if response.status != 200 or '"result"' not in body:
            raise Unanswered(f"{message['method']}: {response.status} {body[:200]}")
        return response
