"""The benchmark compares like with like: the floor registers exactly the program's custom resources and inputs."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.floor import component_records, custom_records, floor_program
from bench.measure import STACK, record, stack_config
from infra.mock_runtime import Evaluation, evaluate
from infra.program import run

SIZE = 6


@pytest.mark.parametrize("raw", [False, True], ids=["provider-classes", "bare-custom-resource"])
def test_floor_registers_the_same_custom_resources_with_the_same_inputs(tmp_path: Path, raw: bool) -> None:
    import pickle

    records_file = tmp_path / "records.pickle"
    customs = record(SIZE, records_file)
    values, secret_keys = stack_config(SIZE)
    program = evaluate(STACK, values, secret_keys, run)
    records = pickle.loads(records_file.read_bytes())
    floor = evaluate(STACK, {}, frozenset(), lambda: floor_program(records, raw))

    def customs_of(evaluation: object) -> list[tuple[str, str, object]]:
        return sorted(
            ((r.type, r.name, r.inputs) for r in evaluation.registrations if r.custom),  # type: ignore[attr-defined]
            key=lambda entry: (entry[0], entry[1]),
        )

    assert len(customs_of(floor)) == customs == len(customs_of(program))
    assert customs_of(floor) == customs_of(program)
    components = [r for r in floor.registrations if not r.custom]
    assert components == []


def test_the_floor_with_components_has_the_programs_shape() -> None:
    values, secret_keys = stack_config(SIZE)
    program = evaluate(STACK, values, secret_keys, run)
    records, components = custom_records(program), component_records(program)
    floor = evaluate(STACK, {}, frozenset(), lambda: floor_program(records, False, components))

    def shape(evaluation: Evaluation) -> list[tuple[str, str, str | None, bool]]:
        return sorted((r.type, r.name, r.parent, r.custom) for r in evaluation.registrations)

    assert components and shape(floor) == shape(program)


def test_generated_catalog_mixes_stateless_stateful_and_secrets() -> None:
    from bench.catalog import catalog

    services = catalog(20)
    assert len(services) == 20
    assert sum(1 for body in services.values() if body.get("stateful")) == 4
    assert sum(1 for body in services.values() if body.get("secretEnv")) == 5
