"""Inch output read back against the millimetre plan, the offline CLI, the report and the preview."""
from __future__ import annotations

import json
import math
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest
from shapely.geometry import Point, Polygon

from luthier import cli
from chalicelib.rmos.cam.pipeline import plan_intent
from chalicelib.rmos.cam.profiles import public_profiles, resolve
from chalicelib.contracts.cam_intent import CamIntentV1
from tests.cam import intents
from tests.cam.gcode import code_lines, words
from tests.cam.truth import (
    assert_cleared,
    assert_cuts_within,
    assert_max_depth,
    assert_no_rapid_through_material,
    disc,
    run_rs274,
)

pytestmark = pytest.mark.rs274


def inch_saw():
    raw = intents.saw(units="inch", context={"stepdown_mm": 0.4, "safe_z_mm": 0.25})
    raw["design"] = {"kerf_width_mm": 0.09, "stock_thickness_mm": 0.75, "stock_width_mm": 6,
                     "cuts": [{"type": "rip", "length_mm": 12, "depth_mm": 0.75, "offset_mm": 2},
                              {"type": "crosscut", "length_mm": 6, "depth_mm": 0.75, "offset_mm": 7}]}
    return raw


def mm_twin(raw):
    twin = json.loads(json.dumps(raw))
    twin["units"] = "mm"
    scale = lambda v: v * 25.4  # noqa: E731
    twin["context"] = {k: scale(v) for k, v in raw["context"].items()}
    d = twin["design"]
    for k in ("kerf_width_mm", "stock_thickness_mm", "stock_width_mm"):
        d[k] = scale(d[k])
    for c in d["cuts"]:
        for k in ("length_mm", "depth_mm", "offset_mm"):
            c[k] = scale(c[k])
    return twin


def check_saw_against_mm_twin(raw, inch, canon, tmp_path):
    mm = plan_intent(mm_twin(raw), post="grbl")
    lines = code_lines(inch.program)
    # Values are inches: the first rip's blade line is (2 + 0.045) in, not mm.
    assert any(words(ln).get("Y") == pytest.approx(2.045) for ln in lines)
    feeds = [words(ln)["F"] for ln in lines if "F" in words(ln)]
    mm_feeds = [words(ln)["F"] for ln in code_lines(mm.program) if "F" in words(ln)]
    assert feeds == pytest.approx([f / 25.4 for f in mm_feeds], abs=0.01)
    b = run_rs274(mm.program, tmp_path, "mm.ngc")
    assert len(canon.segments) == len(b.segments)
    for s, t in zip(canon.segments, b.segments):
        assert s.kind == t.kind
        # rs274 prints 4 decimals of an inch: 0.0025 mm resolution.
        assert math.dist(s.end, t.end) < 0.01, (s, t)
        assert s.feed == pytest.approx(t.feed, rel=1e-3, abs=0.5)


def router_in_inches(target, depth_mm: float, tool_radius: float):
    """The read-back of an inch router job cuts the millimetre target, within rs274's 4-decimal inch output."""
    def check(raw, inch, canon, tmp_path):
        assert_max_depth(canon, depth_mm, tol=0.003)
        assert_cuts_within(canon, target, tool_radius, tol=0.01)
        assert_cleared(canon, target, depth_mm, tool_radius, tol=0.03)
        assert_no_rapid_through_material(canon, tool_radius)
        assert Point(canon.cuts[-1].end[:2]).within(target.buffer(0.01))
    return check


def inch_channel():
    raw = intents.rosette(units="inch")
    g = raw["design"]
    g["depth_mm"] = 0.06
    g["geometry"].update(inner_radius_mm=1.75, outer_radius_mm=2.0)
    return raw


INCH_POCKET = [[0, 0], [2, 0], [2, 1.5], [0, 1.5], [0, 0]]
INCH_ISLAND = [[0.5, 0.5], [1.0, 0.5], [1.0, 1.0], [0.5, 1.0], [0.5, 0.5]]


def inch_pocket():
    return {"mode": "router_3axis", "units": "inch", "tool_id": "em-1-8-2f",
            "design": {"operation": "pocket", "depth_mm": 0.1,
                       "geometry": {"type": "polyline", "points": INCH_POCKET, "islands": [INCH_ISLAND]}}}


def _mm(points):
    return Polygon([(x * 25.4, y * 25.4) for x, y in points])


INCH_CASES = {
    "saw": (inch_saw, check_saw_against_mm_twin),
    "rosette-channel": (inch_channel, router_in_inches(
        disc((0, 0), 50.8).difference(disc((0, 0), 44.45)), 0.06 * 25.4, 1.5875 / 2)),
    "pocket-with-island": (inch_pocket, router_in_inches(
        _mm(INCH_POCKET).difference(_mm(INCH_ISLAND)), 2.54, 3.175 / 2)),
}


@pytest.mark.parametrize("case", list(INCH_CASES))
def test_inch_intent_writes_g20_and_reads_back_as_the_mm_plan(tmp_path, case):
    make, check = INCH_CASES[case]
    raw = make()
    inch = plan_intent(raw, post="grbl")
    assert inch.units == "inch" and inch.report["units"] == "inch"
    lines = code_lines(inch.program)
    assert "G20" in lines and "G21" not in lines
    canon = run_rs274(inch.program, tmp_path, "inch.ngc")
    assert "inch" in canon.units_seen
    check(raw, inch, canon, tmp_path)


def test_report_shape_and_exact_arc_lengths(tmp_path):
    result = plan_intent(intents.rosette(), post="grbl")
    report = result.report
    assert set(report) >= {"units", "post", "tool", "operations", "totals", "checks", "warnings", "bounds"}
    for op in report["operations"]:
        assert set(op) >= {"name", "moves", "cut_length_mm", "rapid_length_mm", "full_width_cut_mm", "estimated_time_s",
                           "warnings"}
    totals = report["totals"]
    assert totals["moves"] == sum(op["moves"] for op in report["operations"])
    assert all(c["status"] == "pass" for c in report["checks"])
    # Independent length from the read-back: exact arc/helix lengths from rs274.
    canon = run_rs274(result.program, tmp_path)
    length = 0.0
    time_s = 0.0
    for s in canon.cuts:
        if s.kind == "arc":
            cx, cy = s.center
            r = math.hypot(s.start[0] - cx, s.start[1] - cy)
            seg = math.hypot(r * s.sweep(), s.end[2] - s.start[2])
        else:
            seg = math.dist(s.start, s.end)
        length += seg
        time_s += seg / s.feed * 60
    assert totals["cut_length_mm"] == pytest.approx(length, rel=1e-3)
    assert totals["estimated_time_s"] >= time_s * 0.999
    assert report["bounds"]["min_x_mm"] == pytest.approx(-50 + 1.5875 / 2, abs=0.01)
    assert report["bounds"]["min_z_mm"] == pytest.approx(-1.5)


def test_preview_svg_draws_cuts_rapids_and_arcs():
    result = plan_intent(intents.rosette(), post="grbl")
    root = ET.fromstring(result.preview_svg)
    ns = "{http://www.w3.org/2000/svg}"
    cuts = root.findall(f".//{ns}path[@class='cut']")
    rapids = root.findall(f".//{ns}line[@class='rapid']")
    assert cuts and rapids
    assert any(" A" in p.get("d") or p.get("d").count("A") for p in cuts)
    style = root.find(f"{ns}style").text
    assert re.search(r"\.rapid\{[^}]*stroke-dasharray", style)
    assert "stroke-dasharray" not in style.split(".rapid")[0]
    minx, miny, w, h = map(float, root.get("viewBox").split())
    b = result.report["bounds"]
    # y-up: the drawing's top edge is the program's max Y, negated; margins kept.
    assert minx < b["min_x_mm"] and minx + w > b["max_x_mm"]
    assert miny < -b["max_y_mm"] and miny + h > -b["min_y_mm"]


def test_profiles_precedence_and_public_listing():
    intent = CamIntentV1(mode="router_3axis", design={}, tool_id="em-6-2f", machine_id="desktop-grbl",
                         context={"spindle_rpm": 30000})
    setup = resolve(intent)
    assert setup.cut.tool_diameter_mm == 6.0
    assert setup.cut.spindle_rpm == 24000  # capped by the machine
    assert setup.cut.feed_mm_min <= 3000  # capped by the machine
    assert setup.cut.stepover_mm == pytest.approx(6.0 * 0.40)
    assert setup.post == "grbl" and setup.cut.safe_z_mm == 5.0
    assert any("capped" in w for w in setup.warnings)
    explicit = resolve(CamIntentV1(mode="router_3axis", design={}, context={"feed_mm_min": 500}))
    assert explicit.cut.feed_mm_min == 500
    default = resolve(CamIntentV1(mode="router_3axis", design={}))
    assert default.cut.feed_mm_min == pytest.approx(18000 * 2 * 0.02)
    assert default.cut.plunge_mm_min < default.cut.feed_mm_min
    listing = public_profiles()
    ids = {p["id"] for p in listing["profiles"]}
    assert listing["default"] in ids
    assert all(p["tool"]["diameter_mm"] > 0 and p["machine"]["rapid_mm_min"] > 0 for p in listing["profiles"])


def write_intent(tmp_path, raw, name="intent.json"):
    path = tmp_path / name
    path.write_text(json.dumps(raw))
    return path


def test_cli_main_writes_program_report_and_svg(tmp_path):
    intent = write_intent(tmp_path, intents.saw())
    out, rep, svg = tmp_path / "program.nc", tmp_path / "report.json", tmp_path / "preview.svg"
    rc = cli.main(["plan", str(intent), "--post", "grbl", "-o", str(out), "--report", str(rep), "--svg", str(svg)])
    assert rc == 0
    assert json.loads(rep.read_text())["post"] == "grbl"
    assert svg.read_text().startswith("<svg")
    run_rs274(out.read_text(), tmp_path)


def test_cli_rejects_an_invalid_intent_with_issues(tmp_path, capsys):
    raw = intents.saw(tool_id="nope")
    raw["design"]["cuts"][0]["depth_mm"] = -1
    rc = cli.main(["plan", str(write_intent(tmp_path, raw)), "-o", str(tmp_path / "p.nc")])
    err = capsys.readouterr().err
    assert rc == 2
    assert "tool_id: unknown tool" in err and "design.cuts.0.depth_mm:" in err
    assert not (tmp_path / "p.nc").exists()


def test_cli_subprocess_offline_without_boto3(tmp_path):
    intent = write_intent(tmp_path, intents.rosette())
    out = tmp_path / "program.nc"
    code = ("import sys; from luthier.cli import main; rc = main(sys.argv[1:]); "
            "assert 'boto3' not in sys.modules, 'plan imported boto3'; sys.exit(rc)")
    env_blocked = {"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "PATH": "/usr/bin:/bin"}
    proc = subprocess.run([sys.executable, "-c", code, "plan", str(intent), "--post", "linuxcnc", "-o", str(out),
                           "--report", str(tmp_path / "r.json")], capture_output=True, text=True, env=env_blocked)
    assert proc.returncode == 0, proc.stderr
    assert out.read_text().startswith("%")
    bad = write_intent(tmp_path, {"mode": "saw", "design": {"cuts": []}}, "bad.json")
    proc = subprocess.run([sys.executable, "-m", "luthier.cli", "plan", str(bad)], capture_output=True, text=True)
    assert proc.returncode == 2
    assert "design.kerf_width_mm" in proc.stderr


def test_cli_unreadable_json(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text("{not json")
    assert cli.main(["plan", str(path)]) == 2
