"""Entry point for `pulumi up` / `pulumi preview`: the program lives in infra/."""

from infra.cancellation import exit_quietly_when_cancelled
from infra.gc_tuning import tune_for_evaluation
from infra.program import run

exit_quietly_when_cancelled()
tune_for_evaluation()
run()
