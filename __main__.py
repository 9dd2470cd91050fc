"""Entry point for `pulumi up` / `pulumi preview`: the program lives in infra/."""

from infra.gc_tuning import tune_for_evaluation
from infra.program import run

tune_for_evaluation()
run()
