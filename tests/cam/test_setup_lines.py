"""The header's set-up lines: where to zero the machine and what the program cuts."""
from __future__ import annotations

from chalicelib.contracts.profiles import bit_label, bit_slug
from chalicelib.rmos.cam.pipeline import plan_intent
from chalicelib.rmos.cam.setup_lines import header_lines
from tests.cam.truth import run_rs274

TOOL = {"diameter_mm": 1.5875}


def _annulus(center=(0.0, 0.0)):
    return {"operation": "pocket", "depth_mm": 1.6,
            "geometry": {"type": "annulus", "center": center, "inner_radius_mm": 45.0, "outer_radius_mm": 55.0}}


def test_a_rosette_is_zeroed_on_its_centre_and_the_top_surface():
    origin, summary = header_lines({"operations": [_annulus()]}, TOOL, "grbl")
    assert origin == "origin: X0 Y0 = rosette centre, Z0 = top surface of the top"
    assert summary == "job: channel dia 90-110 mm, depth 1.6 mm, bit 1/16 in = 1.5875 mm, post grbl"


def test_an_off_centre_rosette_says_where_its_centre_is():
    origin, _ = header_lines({"operations": [_annulus((10.0, -5.0))]}, TOOL, "linuxcnc")
    assert origin == "origin: X0 Y0 = drawing origin; rosette centre at X10 Y-5, Z0 = top surface of the top"


def test_other_jobs_name_the_drawing_origin_and_their_operations():
    design = {"operations": [{"operation": "drill"}, {"operation": "profile"}]}
    origin, summary = header_lines(design, {"diameter_mm": 6.0}, "linuxcnc")
    assert origin == "origin: X0 Y0 = drawing origin, Z0 = top surface of the stock"
    assert summary == "job: 2 operations (drill, profile), bit 6 mm, post linuxcnc"


def test_bit_names():
    assert (bit_label(3.175), bit_slug(3.175)) == ("1/8 in = 3.175 mm", "1_8in")
    assert (bit_label(1.0), bit_slug(1.0)) == ("1 mm", "1mm")


def test_the_lines_reach_the_program_and_it_still_runs(tmp_path):
    intent = {"schema_version": "cam_intent_v1", "mode": "router_3axis", "units": "mm", "tool_id": "em-1-2f-dc",
              "material_id": "spruce", "machine_id": "desktop-grbl",
              "design": {"operations": [{**_annulus(), "geometry": {**_annulus()["geometry"],
                                                                    "outer_radius_mm": 46.2}}]},
              "options": {"post": "grbl", "profile_id": "rosette-1mm-spruce-grbl"}}
    program = plan_intent(intent).program
    assert "(origin: X0 Y0 = rosette centre, Z0 = top surface of the top)" in program
    assert "(job: channel dia 90-92.4 mm, depth 1.6 mm, bit 1 mm, post grbl)" in program
    run_rs274(program, tmp_path)
