"""Command-line tools: `python -m infra render --stack <name> --out <dir>`, `python -m infra edge-token ...`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pulumi

from infra.stack_files import StackFileError, available_stacks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra", description="mcp-suite command-line tools")
    commands = parser.add_subparsers(dest="command", required=True)
    render_parser = commands.add_parser(
        "render", help="evaluate a stack under Pulumi's mocks and write its resources and Kubernetes manifests"
    )
    render_parser.add_argument("--stack", required=True, help=f"stack name ({', '.join(available_stacks())})")
    render_parser.add_argument("--out", required=True, type=Path, help="output directory (replaced if it exists)")
    token_parser = commands.add_parser(
        "edge-token",
        help="create a client token for the edge and print it with the command that stores its hash",
    )
    token_parser.add_argument("--client", help="client name, the key under edgeSecrets.clientTokenHashes")
    token_parser.add_argument("--stack", help="stack the printed commands target (default: the selected stack)")
    token_parser.add_argument(
        "--hash-stdin", action="store_true", help="print the SHA-256 of an existing token read from stdin instead"
    )
    args = parser.parse_args(argv)
    if args.command == "edge-token":
        return edge_token(args.client, args.stack, args.hash_stdin)

    from infra.render import render_stack, summary, write_render

    try:
        evaluation = render_stack(args.stack)
    except (StackFileError, pulumi.RunError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    counts = write_render(evaluation, args.out)
    print(summary(args.stack, counts, args.out))
    return 0


def edge_token(client: str | None, stack: str | None, hash_stdin: bool) -> int:
    from infra.edge_tokens import check_client_name, instructions, new_token, token_hash

    if hash_stdin:
        token = sys.stdin.read().strip()
        if not token:
            print('error: no token on stdin; pipe one in, e.g. `printf %s "$TOKEN" | ...`', file=sys.stderr)
            return 2
        print(token_hash(token))
        return 0
    if client is None:
        print(
            "error: name the client with --client <name> (or hash an existing token with --hash-stdin)", file=sys.stderr
        )
        return 2
    problem = check_client_name(client)
    if problem is not None:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    print(instructions(client, stack, new_token()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
