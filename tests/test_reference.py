"""docs/scenario-reference.md is generated from the schema and must match it exactly."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from pydantic import BaseModel

from encircle_sim import reference
from encircle_sim.geography import LAYER_DOCS, load_region
from encircle_sim.scenario import Scenario

REPO = Path(__file__).resolve().parents[1]
DOC = REPO / "docs" / "scenario-reference.md"
REGENERATE = "python -m encircle_sim.reference > docs/scenario-reference.md"


def test_committed_reference_equals_the_generated_text():
    assert DOC.read_text(encoding="utf-8") == reference.render(), (
        f"docs/scenario-reference.md is out of date with the schema; regenerate it: {REGENERATE}")


def _keys(model: type[BaseModel], prefix: str = ""):
    for name, field in model.model_fields.items():
        sub = reference._model_in(field.annotation)
        if sub is None:
            yield prefix + name
        else:
            kind = reference.typing.get_origin(reference._unwrap(field.annotation)[0][0])
            suffix = "[]." if kind is list else ".NAME." if kind is dict else "."
            yield from _keys(sub, prefix + name + suffix)


def test_every_schema_key_has_a_row_with_its_meaning():
    text = reference.render()
    keys = list(_keys(Scenario))
    assert len(keys) > 100
    for key in keys:
        rows = [ln for ln in text.splitlines() if ln.startswith(f"| `{key}` |")]
        assert len(rows) == 1, key
        cells = [c.strip() for c in rows[0].strip("|").split(" | ")]
        assert len(cells) == 7, rows[0]
        assert cells[1] and cells[3] and cells[5], f"{key}: type, default and meaning needed"


def test_units_and_ranges_are_shown():
    text = reference.render()
    assert "| `map.cell_km` | number | km | `5` | ≥ 2 and ≤ 20 |" in text
    choices = "`1`, `2`, `3`, `4`, `6`, `8`, `12`, `24`"
    assert f"| `time.step_hours` | integer | h | `6` | {choices} |" in text
    assert "| `phases.advance.search_intensity` | number | x | `1.2` |" in text


def test_layers_and_gazetteer_are_listed():
    text = reference.render()
    for name in LAYER_DOCS:
        assert f"| `{name}` |" in text
    for place in load_region().places.values():
        assert f"| {place.name} |" in text
    assert "| Tayyanah | " in text and "approximate |" in text


def test_module_prints_the_reference():
    out = subprocess.run([sys.executable, "-m", "encircle_sim.reference"], capture_output=True,
                         text=True, check=True)
    assert out.stdout == reference.render()


ODD = REPO / "docs" / "ODD.md"


def test_odd_parameter_tables_equal_the_generated_text():
    text = ODD.read_text(encoding="utf-8")
    assert text == reference.update_odd(text), (
        "docs/ODD.md's parameter tables are out of date; regenerate them: "
        "python -m encircle_sim.reference --odd docs/ODD.md")


def test_every_parameter_has_a_source_and_every_number_a_unit():
    models = {reference._model_in(f.annotation) for f in Scenario.model_fields.values()}
    for model in models - {None}:
        for name, field in model.model_fields.items():
            extra = field.json_schema_extra or {}
            assert extra.get("source"), f"{model.__name__}.{name} has no source"
            kind = reference.type_words(field.annotation)
            if kind in ("number", "integer") and name not in ("seed", "axis"):
                assert extra.get("unit"), f"{model.__name__}.{name} has no unit"


def test_every_named_constant_of_the_rules_says_what_it_is():
    constants = reference.rule_constants()
    names = {(module, name) for module, name, _, _ in constants}
    # the rule modules' numbers, as the ODD lists them: a few that must be there
    assert {("submodels.decide", "RELOCATE_CANDIDATES"), ("submodels.perceive", "PLATOON"),
            ("submodels.engage", "CONTACT_EXPOSURE"), ("build", "SLEEPER_LINK_KM")} <= names
    for module, name, _, meaning in constants:
        assert len(meaning) > 10, f"{module}.{name} needs a '#:' comment saying what it is"


def test_the_outputs_document_is_generated_from_the_code():
    text = (REPO / "docs" / "outputs.md").read_text(encoding="utf-8")
    assert text == reference.render_outputs(), (
        "docs/outputs.md is out of date; regenerate it: "
        "python -m encircle_sim.reference --outputs docs/outputs.md")


def test_every_output_is_documented():
    from encircle_sim.experiments import flatten_summary
    from encircle_sim.metrics import EVENT_KINDS, STEP_COLUMNS, TOWN_COLUMN, slug
    from encircle_sim.outputs import SUMMARY_KEYS
    from encircle_sim.runner import run

    result = run("combined", seed=3, overrides={"time.max_days": 12.0})
    towns = {TOWN_COLUMN.format(town=slug(t)) for t in result.model.town_names}
    assert set(result.steps.columns) == {c.name for c in STEP_COLUMNS} | towns
    assert set(result.events["kind"]) <= set(EVENT_KINDS)
    documented = {k.split(".<")[0] for k in SUMMARY_KEYS}
    for key in flatten_summary(result.summary):
        assert key in documented or key.rsplit(".", 1)[0] in documented, key
    for key in documented:
        assert any(k == key or k.startswith(key + ".") for k in flatten_summary(result.summary))
