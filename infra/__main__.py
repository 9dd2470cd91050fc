"""Command-line tools: `python -m infra render --stack <name> --out <dir>`,
`python -m infra diff --stack <name> --base <git ref> [--markdown]`, the backup operations
`python -m infra backup-now|restore --stack <name> ...` (docs/backup-restore.md) and
`python -m infra edge-token ...` (docs/edge.md), `python -m infra tool-manifest [--check]` and
`python -m infra image-attestations ...` (docs/images.md)."""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn

import pulumi

from infra.gc_tuning import tune_for_evaluation
from infra.stack_files import StackFileError, available_stacks
from infra.tool_surface import MANIFEST_FILE

# `diff` exit codes, for CI: nothing would change, something would, or the diff could not be computed.
DIFF_NO_CHANGES, DIFF_ERROR, DIFF_CHANGES = 0, 1, 2


class Parser(argparse.ArgumentParser):
    """Usage errors exit with `usage_error_code`: for `diff`, argparse's usual 2 would read as "changes"."""

    def __init__(self, *args: Any, usage_error_code: int = 2, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.usage_error_code = usage_error_code

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(self.usage_error_code, f"{self.prog}: error: {message}\n")


def main(argv: list[str] | None = None) -> int:
    parser = Parser(prog="python -m infra", description="mcp-suite command-line tools")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    stacks = ", ".join(available_stacks())
    render_parser = commands.add_parser(
        "render", help="evaluate a stack under Pulumi's mocks and write its resources and Kubernetes manifests"
    )
    render_parser.add_argument("--stack", required=True, help=f"stack name ({stacks})")
    render_parser.add_argument("--out", required=True, type=Path, help="output directory (replaced if it exists)")
    diff_parser = commands.add_parser(
        "diff",
        usage_error_code=DIFF_ERROR,
        help="what the working tree would change in a stack compared with a git ref, without credentials",
        description=(
            "Render the stack at the base ref and in the working tree and print the resources added, removed and "
            "changed. Exit code 0: no changes; 2: changes; 1: the diff could not be computed."
        ),
    )
    diff_parser.add_argument(
        "--stack", required=True, action="append", help=f"stack name ({stacks}); repeat for several stacks"
    )
    diff_parser.add_argument("--base", required=True, help="git ref to compare with, e.g. origin/main")
    diff_parser.add_argument("--markdown", action="store_true", help="print Markdown for a pull-request comment")
    backup_parser = commands.add_parser(
        "backup-now", help="back up a stack's volumes now (before an upgrade); prints the commands unless --run"
    )
    backup_parser.add_argument("--stack", required=True, help=f"stack name ({stacks})")
    backup_parser.add_argument("--volume", help="one volume purpose (default: every backed-up volume)")
    backup_parser.add_argument("--run", action="store_true", help="run the commands and wait for the backups")
    restore_parser = commands.add_parser(
        "restore", help="print the commands (Docker) or manifests (Kubernetes) that restore a volume"
    )
    restore_parser.add_argument("--stack", required=True, help=f"stack name ({stacks})")
    restore_parser.add_argument("--volume", required=True, help="volume purpose, e.g. memory-graph")
    restore_parser.add_argument("--snapshot", default="latest", help="restic snapshot id (default: latest)")
    restore_parser.add_argument("--into", help="restore into this claim / Docker volume (default: the volume's own)")
    restore_parser.add_argument(
        "--replace", action="store_true", help="delete the target's current contents first (else it must be empty)"
    )
    token_parser = commands.add_parser(
        "edge-token",
        help="create a client token for the edge and print it with the command that stores its hash",
    )
    token_parser.add_argument("--client", help="client name, the key under edgeSecrets.clientTokenHashes")
    token_parser.add_argument("--stack", help="stack the printed commands target (default: the selected stack)")
    token_parser.add_argument(
        "--hash-stdin", action="store_true", help="print the SHA-256 of an existing token read from stdin instead"
    )
    manifest_parser = commands.add_parser(
        "tool-manifest",
        help=f"run every stdio server any stack deploys and write its tools to {MANIFEST_FILE} (or --check it)",
    )
    manifest_parser.add_argument(
        "--check", action="store_true", help="exit 1 if the committed manifest is not what the servers report"
    )
    attest_parser = commands.add_parser(
        "image-attestations",
        help="write the SBOM and SLSA provenance that scripts/sign-images attests for one pushed image",
    )
    attest_parser.add_argument("--server", required=True, help="folder of images/servers/ the image is built from")
    attest_parser.add_argument("--image", required=True, help="the pushed image, repository@sha256:...")
    attest_parser.add_argument("--out", required=True, type=Path, help="directory for sbom.cdx.json, provenance.json")
    attest_parser.add_argument("--source-uri", required=True, help="repository URL the image was built from")
    attest_parser.add_argument("--revision", required=True, help="the commit it was built at")
    attest_parser.add_argument("--builder-id", required=True, help="what built it, e.g. the CI run's URL")
    args = parser.parse_args(argv)
    tune_for_evaluation()
    if args.command == "image-attestations":
        return image_attestations_command(args)
    if args.command == "tool-manifest":
        return tool_manifest_command(check=args.check)
    if args.command == "diff":
        return diff_command(args.stack, args.base, markdown=args.markdown)
    if args.command in ("backup-now", "restore"):
        return backup_operation_command(args)
    if args.command == "edge-token":
        return edge_token(args.client, args.stack, args.hash_stdin)
    return render_command(args.stack, args.out)


def render_command(stack: str, out: Path) -> int:
    from infra.render import render_stack, summary, write_render

    try:
        evaluation = render_stack(stack)
    except (StackFileError, pulumi.RunError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    counts = write_render(evaluation, out)
    print(summary(stack, counts, out))
    return 0


def diff_command(stacks: list[str], base_ref: str, *, markdown: bool) -> int:
    from infra.diff import format_markdown, format_text
    from infra.git_render import DiffError, diff_stacks
    from infra.stack_files import PROJECT_DIR

    try:
        base, diffs = diff_stacks(PROJECT_DIR, list(dict.fromkeys(stacks)), base_ref)
    except DiffError as error:
        print(f"error: {error}", file=sys.stderr)
        return DIFF_ERROR
    print((format_markdown if markdown else format_text)(diffs, base.label), end="")
    return DIFF_CHANGES if any(diff.has_changes for diff in diffs) else DIFF_NO_CHANGES


def tool_manifest_command(*, check: bool) -> int:
    from infra.settings import SettingsError
    from infra.stack_files import PROJECT_DIR
    from infra.tool_surface import ToolManifestError, collect, manifest_text, read_manifest, stacks_tool_sources

    path = PROJECT_DIR / MANIFEST_FILE
    try:
        collected = collect(PROJECT_DIR, stacks_tool_sources())
        if check:
            if manifest_text(read_manifest(PROJECT_DIR)) != manifest_text(collected):
                print(
                    f"error: {MANIFEST_FILE} is not what the servers report; run `python -m infra tool-manifest`, "
                    "review the change and commit it",
                    file=sys.stderr,
                )
                return 1
            print(f"{MANIFEST_FILE} matches the {len(collected)} stdio servers the stacks deploy")
            return 0
    except (StackFileError, SettingsError, ToolManifestError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    path.write_text(manifest_text(collected), encoding="utf-8")
    print(f"wrote {path.name}: {sum(len(tools) for tools in collected.values())} tools of {len(collected)} servers")
    return 0


def image_attestations_command(args: argparse.Namespace) -> int:
    import json

    from components.render.image_build import ImageBuildError
    from infra.image_attestations import AttestationError, image_provenance, image_sbom
    from infra.stack_files import PROJECT_DIR

    try:
        sbom = image_sbom(PROJECT_DIR, args.server)
        provenance = image_provenance(
            PROJECT_DIR,
            args.server,
            args.image,
            source_uri=args.source_uri,
            revision=args.revision,
            builder_id=args.builder_id,
        )
    except (ImageBuildError, AttestationError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "sbom.cdx.json").write_text(json.dumps(sbom, indent=2) + "\n", encoding="utf-8")
    (args.out / "provenance.json").write_text(json.dumps(provenance, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}/sbom.cdx.json ({len(sbom['components'])} packages) and {args.out}/provenance.json")
    return 0


def backup_operation_command(args: argparse.Namespace) -> int:
    from infra.backup_operations import (
        OperationError,
        backup_destination,
        backup_now_commands,
        restore_docker,
        restore_kubernetes,
        run_backup_now,
        selected_volumes,
        stack_settings,
    )
    from infra.settings import SettingsError

    try:
        settings = stack_settings(args.stack)
        if args.command == "restore":
            if settings.cluster is not None:
                now = datetime.now(UTC)
                print(restore_kubernetes(settings, args.volume, args.snapshot, args.into, args.replace, now), end="")
            else:
                print(restore_docker(settings, args.volume, args.snapshot, args.into, args.replace), end="")
            return 0
        if not args.run:
            for command in backup_now_commands(settings, args.volume, datetime.now(UTC)):
                print(shlex.join(command))
            return 0
        failed = run_backup_now(settings, args.volume)
        for purpose in selected_volumes(settings, args.volume):
            outcome = "FAILED" if purpose in failed else "backed up"
            print(f"{purpose}: {outcome}, repository {backup_destination(settings, purpose)}")
    except (StackFileError, SettingsError, OperationError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except FileNotFoundError as error:
        print(f"error: {error.filename} is not installed or not on PATH", file=sys.stderr)
        return 2
    if failed:
        print(f"error: backup failed for: {', '.join(failed)}", file=sys.stderr)
        return 1
    print("backups complete")
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


def run_from_shell() -> int:
    """`main`, quiet when the reader of stdout goes away early (`... | head`)."""
    try:
        return main()
    except BrokenPipeError:
        # Python flushes stdout again at exit; point it at /dev/null so that flush cannot fail too.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(run_from_shell())
