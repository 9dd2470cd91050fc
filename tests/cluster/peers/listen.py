"""Listens on TCP ports in the network namespace it runs in (a stand-in pod's), so that connections to the pod
complete as they would to what it stands for: `python listen.py PORT...`; prints `ready` once all are bound and
serves until stdin closes."""

from __future__ import annotations

import selectors
import socket
import sys
import threading


def serve(ports: list[int]) -> None:
    selector = selectors.DefaultSelector()
    for port in ports:
        server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("0.0.0.0", port))
        server.listen(64)
        selector.register(server, selectors.EVENT_READ)
    print("ready", flush=True)
    while True:
        for key, _ in selector.select():
            connection, _ = key.fileobj.accept()  # type: ignore[union-attr]
            connection.close()


if __name__ == "__main__":
    threading.Thread(target=serve, args=([int(port) for port in sys.argv[1:]],), daemon=True).start()
    sys.stdin.read()
