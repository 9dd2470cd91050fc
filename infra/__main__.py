"""Command-line tools: `python -m infra render|backup-now|restore --stack <name> ...` (see README and docs/)."""

from __future__ import annotations

import argparse
import shlex
import sys
from datetime import UTC, datetime
from pathlib import Path

import pulumi

from infra.settings import Settings, SettingsError, load_settings
from infra.stack_files import StackFileError, available_stacks, read_stack_config


def stack_settings(stack: str) -> Settings:
    """A stack's validated settings from its files; secret values are not needed, so they stay placeholders."""
    config = read_stack_config(stack)
    return load_settings(stack, config.values, config.secret_keys, placeholder_secrets=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra", description="mcp-suite command-line tools")
    commands = parser.add_subparsers(dest="command", required=True)
    stacks = f"stack name ({', '.join(available_stacks())})"
    render_parser = commands.add_parser(
        "render", help="evaluate a stack under Pulumi's mocks and write its resources and Kubernetes manifests"
    )
    render_parser.add_argument("--stack", required=True, help=stacks)
    render_parser.add_argument("--out", required=True, type=Path, help="output directory (replaced if it exists)")
    backup_parser = commands.add_parser(
        "backup-now", help="back up a stack's volumes now (before an upgrade); prints the commands unless --run"
    )
    backup_parser.add_argument("--stack", required=True, help=stacks)
    backup_parser.add_argument("--volume", help="one volume purpose (default: every backed-up volume)")
    backup_parser.add_argument("--run", action="store_true", help="run the commands and wait for the backups")
    restore_parser = commands.add_parser(
        "restore", help="print the commands (Docker) or manifests (Kubernetes) that restore a volume"
    )
    restore_parser.add_argument("--stack", required=True, help=stacks)
    restore_parser.add_argument("--volume", required=True, help="volume purpose, e.g. memory-graph")
    restore_parser.add_argument("--snapshot", default="latest", help="restic snapshot id (default: latest)")
    restore_parser.add_argument("--into", help="restore into this claim / Docker volume (default: the volume's own)")
    restore_parser.add_argument(
        "--replace", action="store_true", help="delete the target's current contents first (else it must be empty)"
    )
    args = parser.parse_args(argv)

    from infra.backup_operations import (
        OperationError,
        backup_now_commands,
        restore_docker,
        restore_kubernetes,
        run_backup_now,
    )

    try:
        if args.command == "render":
            from infra.render import render_stack, summary, write_render

            evaluation = render_stack(args.stack)
            counts = write_render(evaluation, args.out)
            print(summary(args.stack, counts, args.out))
            return 0
        settings = stack_settings(args.stack)
        if args.command == "backup-now":
            if not args.run:
                for command in backup_now_commands(settings, args.volume, datetime.now(UTC)):
                    print(shlex.join(command))
                return 0
            failed = run_backup_now(settings, args.volume)
            if failed:
                print(f"error: backup failed for: {', '.join(failed)}", file=sys.stderr)
                return 1
            print("backups complete")
            return 0
        if settings.target == "docker":
            print(restore_docker(settings, args.volume, args.snapshot, args.into, args.replace), end="")
        else:
            print(
                restore_kubernetes(settings, args.volume, args.snapshot, args.into, args.replace, datetime.now(UTC)),
                end="",
            )
        return 0
    except (StackFileError, SettingsError, pulumi.RunError, OperationError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except FileNotFoundError as error:
        print(f"error: {error.filename} is not installed or not on PATH", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
