"""Entry point for `pulumi up` / `pulumi preview`: the program lives in infra/."""

from infra.program import run

run()
