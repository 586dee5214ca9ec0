"""The dressup stage: operations declare entries and tabs, one stage makes them, the cap counts them."""
from __future__ import annotations

import pytest

from chalicelib.rmos.cam.pipeline import IntentRejected, plan_intent
from chalicelib.rmos.cam.router import linking
from chalicelib.rmos.cam.router.dressups.ramp import PlungeEntry, RampEntry
from chalicelib.rmos.cam.router.dressups.tabs import TabZone, Tabs
from chalicelib.rmos.cam.router.path2d import Seg
from chalicelib.rmos.cam.router.plan import apply_dressups
from chalicelib.rmos.cam.toolpath import Dressup, Line, Rapid
from tests.cam import intents
from tests.cam.router.support import cut_params, plan
from tests.cam.truth import run_rs274


def _moves(intent: dict) -> int:
    return plan_intent(intent, post="grbl").report["totals"]["moves"]


def test_the_move_cap_counts_the_moves_tabs_add(monkeypatch, tmp_path):
    with_tabs = intents.profile_with_tabs()
    without = intents.profile_with_tabs()
    del without["design"]["tabs"]
    plain, dressed = _moves(without), _moves(with_tabs)
    assert dressed > plain
    # Room for everything the operation plans itself, not for what its tabs add.
    monkeypatch.setattr(linking, "MAX_SECTION_MOVES", dressed - 1)
    result = plan_intent(without, post="grbl")
    run_rs274(result.program, tmp_path, name="untabbed.ngc")
    with pytest.raises(IntentRejected) as caught:
        plan_intent(with_tabs, post="grbl")
    assert [(i.code, i.path) for i in caught.value.issues] == [("too_many_moves", "design")]
    monkeypatch.setattr(linking, "MAX_SECTION_MOVES", dressed)
    run_rs274(plan_intent(with_tabs, post="grbl").program, tmp_path, name="tabbed.ngc")


def test_planned_sections_carry_no_pending_dressups():
    design = {"operation": "profile", "side": "outside", "depth_mm": 3.0,
              "geometry": {"type": "circle", "center": [0, 0], "radius_mm": 20.0},
              "tabs": {"count": 4, "width_mm": 4.0, "height_mm": 1.0}}
    section = plan(design, cut_params(tool=3.175, stepdown=1.0))[0]
    assert section.dressups == []
    # The tabs were made: some cut at full depth, some passes rise to the tab top.
    zs = {round(m.z, 6) for m in section.moves if isinstance(m, Line)}
    assert -3.0 in zs and -2.0 in zs


def test_entries_go_in_before_their_move_and_tabs_cover_the_entries_in_their_span():
    own = [Rapid(0, 0, 5), Rapid(0, 0, 0.5), Line(10, 0, -2, 500), Rapid(10, 0, 5)]
    ramp = RampEntry((Seg((0.0, 0.0), (4.0, 0.0)), Seg((4.0, 0.0), (8.0, 0.0))), 0.5, -2.0, 100, 100)
    zone = TabZone(6.0, 0.0, 1.0)
    out = apply_dressups(own, [Dressup(2, 2, ramp), Dressup(0, 4, Tabs((zone,), -1.0, 100))])
    assert out[:2] == own[:2]
    assert out[-2:] == own[-2:]
    # The ramp is there, and where it passes the tab below its top it was lifted.
    ramp_moves = [m for m in out if isinstance(m, Line) and m.feed == 100 and m.z < 0.5]
    assert any(m.z == pytest.approx(-1.0) for m in ramp_moves)
    assert all(m.z >= -1.0 - 1e-9 for m in out if isinstance(m, Line) and abs(m.x - 6.0) < 1.0 - 1e-6)
    # A plunge entry declared at the end lands after every own move.
    tail = apply_dressups(own, [Dressup(4, 4, PlungeEntry((10.0, 0.0), -1.0, 50))])
    assert tail[:4] == own and tail[4] == Line(10.0, 0.0, -1.0, 50)
