"""Tries connections from the network namespace it runs in (a pod's): `python connect.py` reads
`[[address, protocol, port], ...]` as JSON on stdin and prints `[reached, ...]` in the same order.

TCP is reached when the handshake completes or the destination refuses it: either way the packets crossed the
network both ways, so no policy dropped them. A dropped SYN times out. UDP is tried on port 53 only, with a DNS
query that must be answered.
"""

from __future__ import annotations

import json
import socket
import struct
import sys
from concurrent.futures import ThreadPoolExecutor

TIMEOUT_SECONDS = 3.0
DNS_QUERY = struct.pack(">HHHHHH", 0x4D43, 0x0100, 1, 0, 0, 0) + b"\x0acluster\x05local\x00" + struct.pack(">HH", 1, 1)


def reached(target: list[str | int]) -> bool:
    address, protocol, port = str(target[0]), str(target[1]), int(target[2])
    if protocol == "UDP":
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.settimeout(TIMEOUT_SECONDS)
            try:
                udp.sendto(DNS_QUERY, (address, port))
                answer, _ = udp.recvfrom(512)
            except OSError:
                return False
            return answer[:2] == DNS_QUERY[:2]
    try:
        socket.create_connection((address, port), timeout=TIMEOUT_SECONDS).close()
    except ConnectionRefusedError:
        return True
    except OSError:
        return False
    return True


def main() -> None:
    targets = json.load(sys.stdin)
    with ThreadPoolExecutor(max_workers=64) as pool:
        print(json.dumps(list(pool.map(reached, targets))))


if __name__ == "__main__":
    main()
