"""Normalisation: every mistake becomes an issue naming its field; nothing mutated."""
from __future__ import annotations

import copy
import json
import math

import pytest

from chalicelib.rmos.cam.normalize import normalize
from chalicelib.rmos.cam.pipeline import IntentRejected, plan_intent, validate_intent
from tests.cam import intents


def paths(outcome):
    return {i.path for i in outcome.issues}


def test_valid_saw_intent_normalises():
    outcome = validate_intent(intents.saw())
    assert outcome.ok, outcome.issues
    n = outcome.normalized
    assert n["options"]["post"] in ("grbl", "linuxcnc")
    assert n["context"]["stepdown_mm"] > 0 and n["context"]["blade_diameter_mm"] > 0
    assert n["tool_id"] and n["machine_id"] and n["material_id"]


def test_normalized_intent_is_itself_valid_and_plans_the_same():
    raw = intents.saw()
    first = validate_intent(raw)
    again = validate_intent(first.normalized)
    assert again.ok, again.issues
    assert again.normalized == first.normalized
    assert plan_intent(first.normalized).program == plan_intent(raw).program


def test_caller_input_is_not_mutated():
    raw = intents.saw(units="inch", context={"stepdown_mm": 0.5})
    raw["design"]["kerf_width_mm"] = 0.08
    raw["design"]["stock_thickness_mm"] = 0.75
    raw["design"]["stock_width_mm"] = 6
    raw["design"]["cuts"] = [{"type": "rip", "length_mm": 12, "depth_mm": 0.75, "offset_mm": 2}]
    before = copy.deepcopy(raw)
    plan_intent(raw)
    validate_intent(raw)
    assert raw == before


@pytest.mark.parametrize("make", [intents.pocket_with_island, intents.profile_with_tabs, intents.rosette])
def test_router_input_is_not_mutated(make):
    # The planning bench plans the very same dict again and again on this.
    raw = make(units="inch", context={"stepdown_mm": 0.7})
    before = copy.deepcopy(raw)
    first = plan_intent(raw).program
    assert raw == before
    assert plan_intent(raw).program == first



def _emptied(value):
    """Empty every dict and list inside `value`, in place, innermost first."""
    children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    for child in list(children):
        _emptied(child)
    if isinstance(value, (dict, list)):
        value.clear()


@pytest.mark.parametrize("make", [intents.pocket_with_island, intents.profile_with_tabs, intents.saw])
def test_planned_intent_shares_nothing_with_the_caller(make):
    raw = make()
    before = copy.deepcopy(raw)
    result = plan_intent(raw)
    assert raw == before
    kept, normalized = copy.deepcopy(result.intent.model_dump()), copy.deepcopy(result.normalized)
    _emptied(raw)
    assert result.intent.model_dump() == kept and result.normalized == normalized

    raw = make()
    result = plan_intent(raw)
    _emptied(result.intent.design)
    _emptied(result.normalized)
    assert raw == before

@pytest.mark.parametrize("mutate, path", [
    (lambda r: r.update(mode="laser"), "mode"),
    (lambda r: r.update(units="cm"), "units"),
    (lambda r: r.pop("design"), "design"),
    (lambda r: r.update(colour="red"), "colour"),
    (lambda r: r.update(options={"post": "fanuc"}), "options.post"),
    (lambda r: r.update(options={"turbo": True}), "options.turbo"),
    (lambda r: r.update(context={"stepdown_mm": float("nan")}), "context.stepdown_mm"),
    (lambda r: r.update(context={"feed_mm_min": float("inf")}), "context.feed_mm_min"),
    (lambda r: r.update(context={"spindle_rpm": "fast"}), "context.spindle_rpm"),
    (lambda r: r.update(context={"stepdown_mm": -1}), "context.stepdown_mm"),
    (lambda r: r.update(context={"stepdown_mm": 400}), "context.stepdown_mm"),
    (lambda r: r.update(context={"feed_mm_min": 1e9}), "context.feed_mm_min"),
    (lambda r: r.update(context={"coolant": True}), "context.coolant"),
    (lambda r: r.update(tool_id="em-99"), "tool_id"),
    (lambda r: r.update(machine_id="shopbot"), "machine_id"),
    (lambda r: r.update(material_id="unobtainium"), "material_id"),
    (lambda r: r.update(options={"profile_id": "nope"}), "options.profile_id"),
    (lambda r: r["design"]["cuts"][0].update(depth_mm=-3), "design.cuts.0.depth_mm"),
    (lambda r: r["design"]["cuts"][0].update(depth_mm=float("nan")), "design.cuts.0.depth_mm"),
    (lambda r: r["design"]["cuts"][0].update(depth_mm="10"), "design.cuts.0.depth_mm"),
    (lambda r: r["design"]["cuts"][0].update(type="bevel"), "design.cuts.0.type"),
    (lambda r: r["design"].update(kerf_width_mm=True), "design.kerf_width_mm"),
])
def test_saw_intent_issues_name_the_field(mutate, path):
    raw = intents.saw()
    mutate(raw)
    outcome = validate_intent(raw)
    assert not outcome.ok and outcome.normalized is None
    assert path in paths(outcome), outcome.issues
    with pytest.raises(IntentRejected) as exc:
        plan_intent(raw)
    assert path in {i.path for i in exc.value.issues}


@pytest.mark.parametrize("mutate, path", [
    (lambda d: d.update(operation="engrave"), "design.operation"),
    (lambda d: d.update(depth_mm=-2), "design.depth_mm"),
    (lambda d: d.update(depth_mm=1e6), "design.depth_mm"),
    (lambda d: d.update(depth_mm=float("inf")), "design.depth_mm"),
    (lambda d: d["geometry"].update(inner_radius_mm="44"), "design.geometry.inner_radius_mm"),
    (lambda d: d.update(speed=3), "design.speed"),
])
def test_router_design_issues_name_the_field(mutate, path):
    raw = intents.rosette()
    mutate(raw["design"])
    outcome = validate_intent(raw)
    assert not outcome.ok
    assert path in paths(outcome), outcome.issues


def test_several_mistakes_are_reported_together():
    raw = intents.saw(tool_id="nope", context={"stepdown_mm": "deep"}, options={"post": "fanuc"})
    outcome = validate_intent(raw)
    assert {"tool_id", "context.stepdown_mm", "options.post"} <= paths(outcome)


def test_non_object_intent():
    outcome = validate_intent(["not", "an", "object"])
    assert not outcome.ok and outcome.issues[0].code == "invalid_intent"


def test_inch_intent_converts_every_design_and_context_length():
    raw = intents.saw(units="inch", context={"stepdown_mm": 0.25, "safe_z_mm": 0.2, "feed_mm_min": 40})
    raw["design"] = {"kerf_width_mm": 0.1, "stock_thickness_mm": 0.75, "stock_width_mm": 5,
                     "cuts": [{"type": "rip", "length_mm": 12, "depth_mm": 0.75, "offset_mm": 2}]}
    norm, issues = normalize(raw)
    assert not issues
    assert math.isclose(norm.design.kerf_width_mm, 2.54)
    assert math.isclose(norm.design.cuts[0].length_mm, 304.8)
    assert math.isclose(norm.design.cuts[0].offset_mm, 50.8)
    assert math.isclose(norm.context.stepdown_mm, 6.35)
    assert math.isclose(norm.context.safe_z_mm, 5.08)
    assert math.isclose(norm.context.feed_mm_min, 1016.0)
    # The explicit normalised form stays in the caller's units.
    out = validate_intent(raw).normalized
    assert out["units"] == "inch" and math.isclose(out["design"]["cuts"][0]["length_mm"], 12)
    assert math.isclose(out["context"]["stepdown_mm"], 0.25)


def test_absurd_inch_context_is_named_in_inches():
    raw = intents.saw(units="inch", context={"safe_z_mm": 50})
    outcome = validate_intent(raw)
    issue = next(i for i in outcome.issues if i.path == "context.safe_z_mm")
    assert "50 in" in issue.message


def test_floats_are_validated_as_they_are_stored():
    from chalicelib.contracts.fingerprint import canonical_json

    raw = intents.saw()
    raw["design"]["kerf_width_mm"] = 2.00000049
    outcome = validate_intent(raw)
    assert outcome.ok
    stored = json.loads(canonical_json(outcome.intent.model_dump(mode="json")))
    assert outcome.intent.design["kerf_width_mm"] == stored["design"]["kerf_width_mm"] == 2.0


def test_a_positive_length_that_rounds_to_zero_is_named():
    raw = intents.peck_drill()
    raw["design"]["peck_mm"] = 4e-7
    outcome = validate_intent(raw)
    assert not outcome.ok
    assert [(i.code, i.path) for i in outcome.issues] == [("too_small", "design.peck_mm")]


def test_coordinates_that_round_to_zero_are_fine():
    raw = intents.peck_drill()
    raw["design"]["holes"][0] = [6e-15, 1e-9]
    assert validate_intent(raw).ok


@pytest.mark.parametrize("context, path", [
    ({"stepover_pct": 0.5}, "context.stepover_pct"),
    ({"stepdown_mm": 0.02}, "context.stepdown_mm"),
])
def test_stepover_and_stepdown_have_lower_bounds(context, path):
    raw = intents.peck_drill(context=context)
    outcome = validate_intent(raw)
    assert [(i.code, i.path) for i in outcome.issues] == [("out_of_range", path)]
