"""Command-line tools: `python -m infra render --stack <name> --out <dir>`."""

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
    args = parser.parse_args(argv)

    from infra.render import render_stack, summary, write_render

    try:
        evaluation = render_stack(args.stack)
    except (StackFileError, pulumi.RunError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    counts = write_render(evaluation, args.out)
    print(summary(args.stack, counts, args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
