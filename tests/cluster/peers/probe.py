"""Probes one MCP service from the network namespace it runs in (a pod's), as bench/probes.py does through the
gateway: `python probe.py HOST PORT PATH stateless|sessions` probes until stdin closes, then prints
`{answered, failures}` as JSON."""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from bench.probes import Probe


def main(host: str, port: str, path: str, kind: str) -> None:
    probe = Probe(path, None, sessions=kind == "sessions", host=host, port=int(port)).start()
    print("started", flush=True)
    sys.stdin.read()
    probe.stop()
    print(json.dumps({"answered": probe.answered, "failures": probe.failures}))


if __name__ == "__main__":
    main(*sys.argv[1:5])
