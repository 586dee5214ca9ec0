"""The rosette-feasibility-v2 rules and the design summary, threshold by threshold."""
from __future__ import annotations

import pytest

from chalicelib.art_studio import rules
from chalicelib.art_studio.feasibility import evaluate
from chalicelib.art_studio.summary import recommended_bit, summarise
from chalicelib.contracts.rosette import RosetteDesignV1
from chalicelib.rmos.cam.profiles import catalogue
from tests.art_studio_support import classical_design


def design(**overrides) -> RosetteDesignV1:
    return RosetteDesignV1.model_validate(classical_design(**overrides))


def one_ring(width: float, inner: float = 90.0, **ring) -> dict:
    return {"inner_diameter_mm": inner, "outer_diameter_mm": inner + 2 * width,
            "rings": [{"width_mm": width, "pattern_type": "SOLID", **ring}],
            "cut_soundhole": False, "soundhole_diameter_mm": None}


def check(d: RosetteDesignV1, check_id: str):
    result = evaluate(d)
    found = [c for c in result.checks if c.id == check_id]
    assert len(found) == 1
    return found[0]


def test_the_reference_design_is_green():
    result = evaluate(design())
    assert result.passed is True
    assert result.risk_level == "GREEN"
    assert result.ruleset == "rosette-feasibility-v2"
    assert result.cam_profile_id == "rosette-1-16-spruce-grbl"
    assert result.design_fingerprint == design().fingerprint()
    assert all(c.status == "pass" and c.risk == "GREEN" for c in result.checks)


@pytest.mark.parametrize("depth,status,left", [(1.6, "pass", 1.4), (1.8, "pass", 1.2), (1.9, "warn", 1.1),
                                               (2.1, "warn", 0.9), (2.2, "fail", 0.8), (3.0, "fail", 0.0)])
def test_remaining_top_thickness(depth, status, left):
    c = check(design(channel_depth_mm=depth), "remaining_top_thickness")
    assert c.status == status
    assert c.value == pytest.approx(left)
    assert c.limit == rules.REMAINING_TOP_FAIL_MM


@pytest.mark.parametrize("depth,top,status", [(0.4, 3.0, "fail"), (0.5, 3.0, "warn"), (0.9, 3.0, "warn"),
                                              (1.0, 3.0, "pass"), (3.5, 3.0, "fail")])
def test_channel_depth(depth, top, status):
    assert check(design(channel_depth_mm=depth, top_thickness_mm=top), "channel_depth").status == status


@pytest.mark.parametrize("width,status", [(1.2, "fail"), (1.58, "fail"), (1.5875, "warn"), (3.1, "warn"),
                                          (3.175, "pass"), (6.0, "pass")])
def test_channel_must_take_the_default_profiles_bit(width, status):
    c = check(RosetteDesignV1.model_validate(classical_design(**one_ring(width))), "bit_fits_channel")
    assert c.status == status
    assert c.value == pytest.approx(width)
    assert c.limit == 1.5875  # the 1/16 in bit of the catalogue default


@pytest.mark.parametrize("profile,bit,status", [("rosette-1-16-spruce-grbl", 1.5875, "fail"),
                                                ("rosette-1-8-spruce-grbl", 3.175, "fail"),
                                                ("rosette-1mm-spruce-grbl", 1.0, "warn")])
def test_a_narrow_channel_is_judged_against_the_chosen_profiles_bit(profile, bit, status):
    d = RosetteDesignV1.model_validate(classical_design(**one_ring(1.2)))
    result = evaluate(d, cam_profile_id=profile)
    c = next(c for c in result.checks if c.id == "bit_fits_channel")
    assert (c.status, c.limit, result.cam_profile_id) == (status, bit, profile)
    assert result.passed is (status != "fail")
    # The bit is named as the shop knows it, not by a profile id.
    tool = next(p["tool"] for p in catalogue().end_mill_profiles() if p["id"] == profile)
    assert tool["name"] in c.message
    assert profile not in c.message
    if status == "fail":
        # The advice names a real catalogue profile whose bit fits, by name and by the id the API takes.
        assert "Rosette channel, 1 mm bit, spruce, GRBL (rosette-1mm-spruce-grbl, 1 mm 2-flute" in c.message


def test_no_fitting_bit_says_to_widen_the_channel():
    d = RosetteDesignV1.model_validate(classical_design(**one_ring(0.9)))
    c = next(c for c in evaluate(d).checks if c.id == "bit_fits_channel")
    assert c.status == "fail"
    assert "smallest is 1 mm" in c.message and "widen the channel" in c.message


def test_the_feasibility_fingerprint_depends_on_the_profile():
    d = design()
    a = evaluate(d, cam_profile_id="rosette-1-16-spruce-grbl")
    b = evaluate(d, cam_profile_id="rosette-1-16-spruce-linuxcnc")
    again = evaluate(d, cam_profile_id="rosette-1-16-spruce-grbl")
    assert a.fingerprint() == again.fingerprint()
    assert a.fingerprint() != b.fingerprint()


def test_a_result_without_a_profile_keeps_its_old_fingerprint():
    from chalicelib.contracts.fingerprint import fingerprint
    legacy = evaluate(design()).model_copy(update={"cam_profile_id": None})
    doc = legacy.model_dump(mode="json", exclude={"evaluated_at"})
    del doc["cam_profile_id"]
    assert legacy.fingerprint() == fingerprint(doc)


@pytest.mark.parametrize("profile", ["saw-100-hardwood-linuxcnc", "no-such-profile"])
def test_only_router_profiles_of_the_catalogue_are_accepted(profile):
    from chalicelib.art_studio.errors import UnknownProfile
    with pytest.raises(UnknownProfile) as info:
        evaluate(design(), cam_profile_id=profile)
    assert info.value.issues[0].path == "cam_profile_id"


@pytest.mark.parametrize("narrow,status", [(0.25, "fail"), (0.3, "warn"), (0.45, "warn"), (0.5, "pass")])
def test_min_ring_width(narrow, status):
    rings = [{"width_mm": narrow, "pattern_type": "SOLID"}, {"width_mm": 10.0 - narrow, "pattern_type": "SOLID"}]
    c = check(design(rings=rings), "min_ring_width")
    assert c.status == status
    assert c.value == pytest.approx(narrow)
    if status != "pass":
        # Numbered from 1 like the form, so the luthier finds the ring the message means.
        assert c.message.startswith("ring 1 (innermost) is ")


def test_ring_messages_name_a_middle_ring_by_its_form_number():
    rings = [{"width_mm": 2.0, "pattern_type": "SOLID"},
             {"width_mm": 0.25, "pattern_type": "MOSAIC", "tile_length_mm": 0.8},
             {"width_mm": 7.75, "pattern_type": "SOLID"}]
    width = check(design(rings=rings), "min_ring_width")
    tile = check(design(rings=rings), "min_tile_length")
    assert width.message.startswith("ring 2 is 0.25 mm wide")
    assert tile.message.startswith("ring 2 repeats every 0.80 mm")


@pytest.mark.parametrize("tile,status", [(0.8, "fail"), (1.0, "warn"), (1.9, "warn"), (2.0, "pass")])
def test_min_tile_length_on_patterned_rings(tile, status):
    rings = [{"width_mm": 5.0, "pattern_type": "SOLID"},
             {"width_mm": 5.0, "pattern_type": "MOSAIC", "tile_length_mm": tile}]
    c = check(design(rings=rings), "min_tile_length")
    assert (c.status, c.value) == (status, tile)
    if status != "pass":
        assert c.message.startswith("ring 2 (outermost) repeats every ")


def test_tile_length_of_a_solid_ring_is_not_checked():
    rings = [{"width_mm": 10.0, "pattern_type": "SOLID", "tile_length_mm": 0.2}]
    c = check(design(rings=rings), "min_tile_length")
    assert c.status == "pass" and c.value is None


@pytest.mark.parametrize("hole,inner,status", [(84.0, 90.0, "pass"), (50.0, 60.0, "pass"), (45.0, 55.0, "warn"),
                                               (118.0, 125.0, "warn"), (35.0, 45.0, "fail"),
                                               (135.0, 142.0, "fail")])
def test_soundhole_diameter_range(hole, inner, status):
    data = classical_design(**one_ring(5.0, inner=inner))
    data.update(cut_soundhole=True, soundhole_diameter_mm=hole)
    d = RosetteDesignV1.model_validate(data)
    c = check(d, "soundhole_diameter")
    assert (c.status, c.value) == (status, hole)


@pytest.mark.parametrize("hole,status", [(87.0, "fail"), (86.0, "warn"), (84.5, "warn"), (84.0, "pass"),
                                         (None, "pass")])
def test_soundhole_margin(hole, status):
    c = check(design(soundhole_diameter_mm=hole), "soundhole_margin")
    assert c.status == status
    expected_hole = hole if hole is not None else 90.0 - 2 * 4.0
    assert c.value == pytest.approx((90.0 - expected_hole) / 2)


def test_soundhole_checks_skip_when_not_cut():
    d = design(cut_soundhole=False, soundhole_diameter_mm=89.0)
    for check_id in ("soundhole_diameter", "soundhole_margin"):
        c = check(d, check_id)
        assert c.status == "pass" and c.value is None


def _busy_rings() -> list[dict]:
    rings = []
    for i in range(10):
        pattern = "MOSAIC" if i % 2 else "HERRINGBONE"
        rings.append({"width_mm": 1.0, "pattern_type": pattern, "tile_length_mm": 2.0})
    return rings


def test_complexity_levels_and_high_warns():
    simple = RosetteDesignV1.model_validate(classical_design(**one_ring(10.0)))
    busy = design(rings=_busy_rings())
    s_simple, s_ref, s_busy = (summarise(d).complexity for d in (simple, design(), busy))
    assert s_simple.level == "LOW" and s_simple.score < s_ref.score < s_busy.score
    assert s_ref.level == "MEDIUM"
    assert s_busy.level == "HIGH" and s_busy.score <= 100
    c = check(busy, "complexity")
    assert (c.status, c.risk, c.value) == ("warn", "YELLOW", float(s_busy.score))
    result = evaluate(busy)
    assert result.passed is True and result.risk_level == "YELLOW"


def test_more_tiles_means_more_complex():
    coarse = design(rings=[{"width_mm": 10.0, "pattern_type": "MOSAIC", "tile_length_mm": 8.0}])
    fine = design(rings=[{"width_mm": 10.0, "pattern_type": "MOSAIC", "tile_length_mm": 2.0}])
    assert summarise(fine).complexity.score > summarise(coarse).complexity.score


def test_any_fail_makes_the_result_red():
    result = evaluate(design(channel_depth_mm=2.5, rings=[{"width_mm": 0.2, "pattern_type": "SOLID"},
                                                           {"width_mm": 9.8, "pattern_type": "SOLID"}]))
    assert result.passed is False and result.risk_level == "RED"
    failed = {c.id for c in result.checks if c.status == "fail"}
    assert failed == {"remaining_top_thickness", "min_ring_width"}


# Catalogue end mills: 1 mm, 1/16 in, 1/8 in, 6 mm.
@pytest.mark.parametrize("width,bit", [(13.0, 6.0), (12.0, 6.0), (10.0, 3.175), (6.35, 3.175), (6.0, 1.5875),
                                       (3.2, 1.5875), (2.0, 1.0), (1.2, 1.0), (0.9, 1.0)])
def test_recommended_bit_comes_from_the_catalogue(width, bit):
    from chalicelib.contracts.profiles import catalogue
    assert recommended_bit(width) == bit
    assert bit in catalogue().end_mill_diameters()


def test_summary_fields():
    s = summarise(design())
    assert (s.ring_count, s.inner_diameter_mm, s.outer_diameter_mm) == (5, 90.0, 110.0)
    assert (s.channel_width_mm, s.min_ring_width_mm, s.channel_depth_mm) == (10.0, 1.0, 1.6)
    assert s.tool_requirements.max_tool_diameter_mm == 10.0
    assert s.tool_requirements.recommended_tool_diameter_mm == 3.175
    assert s.tool_requirements.needs_soundhole_cut is True
    assert summarise(design(cut_soundhole=False)).tool_requirements.needs_soundhole_cut is False
