"""DXF and SVG drawings planned from the CLI and through the API, read back with rs274.

The drawings are made here with ezdxf; the region a cut must stay inside is
ezdxf's own flattening of the drawn entities, not the importer's.
"""
from __future__ import annotations

import base64
import io
import json
import subprocess
import sys

import ezdxf
import pytest
from ezdxf import path as dxfpath
from shapely.geometry import Point, Polygon

from chalicelib.contracts.errors import Invalid
from chalicelib.rmos.cam.importers.dxf import read_dxf
from chalicelib.rmos.cam.importers.svg import read_svg
from chalicelib.rmos.cam.pipeline import plan_intent
from tests.cam.truth import assert_cuts_within, assert_max_depth, run_rs274

BASE = "/api/rmos/cam"
JSON = {"Content-Type": "application/json"}
# A small body outline: straight sides, a bulged lower bout and waist arcs.
BODY = [(0, 0, 0), (90, 0, 0.35), (90, 60, 0), (60, 60, -0.2), (30, 60, 0), (0, 60, 0.3)]
ISLAND = ((45, 28), 9.0)


def body_dxf(insunits=4, scale=1.0, layer="BODY", extra=None):
    """(DXF text, the true region in mm): an outline with a circular island on `layer`."""
    doc = ezdxf.new("R2010")
    doc.header["$INSUNITS"] = insunits
    msp = doc.modelspace()
    outline = msp.add_lwpolyline([(x * scale, y * scale, b) for x, y, b in BODY], format="xyb", close=True,
                                 dxfattribs={"layer": layer})
    (cx, cy), r = ISLAND
    circle = msp.add_circle((cx * scale, cy * scale), r * scale, dxfattribs={"layer": layer})
    msp.add_text("BODY v1", dxfattribs={"layer": layer})
    msp.add_line((0, -20), (90, -20), dxfattribs={"layer": "DIMENSIONS"})
    if extra:
        extra(msp)
    unit = 1 / scale
    shell = [(p.x * unit, p.y * unit) for p in dxfpath.make_path(outline).flattening(0.001)]
    hole = [(p.x * unit, p.y * unit) for p in dxfpath.make_path(circle).flattening(0.001)]
    stream = io.StringIO()
    doc.write(stream)
    return stream.getvalue(), Polygon(shell, [hole])


def ring(points, bulges=None):
    """A closed outline as ezdxf flattens it (bulges read the DXF way, by ezdxf, not the importer)."""
    doc = ezdxf.new("R2010")
    bulges = bulges or [0.0] * len(points)
    outline = doc.modelspace().add_lwpolyline([(x, y, b) for (x, y), b in zip(points, bulges)], format="xyb",
                                              close=True)
    return [(v.x, v.y) for v in dxfpath.make_path(outline).flattening(0.001)]


def shape(geometry, island=None):
    """The imported geometry's region, or one island's outline alone."""
    island_bulges = geometry.get("island_bulges") or [None] * len(geometry["islands"])
    holes = [ring(i, b) for i, b in zip(geometry["islands"], island_bulges)]
    if island is not None:
        return Polygon(holes[island])
    return Polygon(ring(geometry["points"], geometry.get("bulges")), holes)


def check_pocket(program, region, tool_diameter, depth, tmp_path):
    canon = run_rs274(program, tmp_path)
    assert_max_depth(canon, depth)
    assert_cuts_within(canon, region, tool_diameter / 2, tol=0.02)
    return canon


def test_cli_plans_a_body_outline_with_an_island_from_a_dxf(tmp_path):
    text, region = body_dxf()
    drawing = tmp_path / "body.dxf"
    drawing.write_text(text)
    out, report = tmp_path / "body.nc", tmp_path / "report.json"
    proc = subprocess.run([sys.executable, "-m", "luthier.cli", "plan", "--dxf", str(drawing), "--layer", "BODY",
                           "--operation", "pocket", "--depth", "3", "--tool-diameter", "6", "--post", "grbl",
                           "-o", str(out), "--report", str(report)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "1 island" in proc.stderr
    program = out.read_text()
    assert "(tool: 6 mm 2-flute up-cut end mill 6 mm)" in program
    canon = check_pocket(program, region, 6.0, 3.0, tmp_path)
    # The island is left standing: no tool centre comes within the tool radius of it.
    (cx, cy), r = ISLAND
    assert all(((x - cx) ** 2 + (y - cy) ** 2) ** 0.5 >= r + 3 - 0.02
               for s in canon.cuts for x, y, z in s.points(0.5) if z < 0)
    assert json.loads(report.read_text())["tool"]["id"] == "em-6-2f"


def test_cli_profiles_the_outline_outside(tmp_path):
    text, region = body_dxf()
    drawing = tmp_path / "body.dxf"
    drawing.write_text(text)
    out = tmp_path / "cut.nc"
    proc = subprocess.run([sys.executable, "-m", "luthier.cli", "plan", "--dxf", str(drawing), "--layer", "body",
                           "--operation", "profile", "--side", "outside", "--depth", "1.5", "--post", "linuxcnc",
                           "-o", str(out)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    canon = run_rs274(out.read_text(), tmp_path)
    assert_max_depth(canon, 1.5)
    # The part (outline less its hole) keeps its size: every cut stays a tool radius off it,
    # around the outside and inside the island's hole alike.
    r = 1.5875 / 2
    pts = [Point(x, y) for s in canon.cuts for x, y, z in s.points(0.5) if z < 0]
    assert pts and min(region.distance(p) for p in pts) >= r - 0.02
    assert any(Polygon(region.exterior).contains(p) for p in pts), "the island's hole was not cut"


def test_cli_refuses_an_open_outline_naming_the_layer(tmp_path):
    doc = ezdxf.new("R2010")
    doc.modelspace().add_lwpolyline([(0, 0), (50, 0), (50, 30)], dxfattribs={"layer": "OPEN"})
    drawing = tmp_path / "open.dxf"
    doc.saveas(drawing)
    proc = subprocess.run([sys.executable, "-m", "luthier.cli", "plan", "--dxf", str(drawing), "--layer", "OPEN",
                           "--depth", "1"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "layer 'OPEN'" in proc.stderr and "open outline" in proc.stderr


def post(client, path, body):
    return client.http.post(BASE + path, headers=JSON, body=json.dumps(body))


def test_api_imports_a_dxf_and_plans_it(cam_client, tmp_path):
    text, region = body_dxf()
    resp = post(cam_client, "/import/dxf", {"dxf": text, "layer": "BODY"})
    assert resp.status_code == 200, resp.json_body
    imported = resp.json_body
    assert imported["islands"] == 1 and imported["source_units"] == "mm"
    assert imported["layers"] == ["BODY", "DIMENSIONS"]
    intent = {"mode": "router_3axis", "units": "mm",
              "design": {"operation": "pocket", "geometry": imported["geometry"], "depth_mm": 2.0,
                         "tool_diameter_mm": 6.0}}
    resp = post(cam_client, "/plan", intent)
    assert resp.status_code == 200, resp.json_body
    check_pocket(resp.json_body["program"], region, 6.0, 2.0, tmp_path)


def test_api_takes_base64_and_refuses_bad_input_naming_the_field(cam_client):
    text, _ = body_dxf()
    encoded = base64.b64encode(text.encode()).decode()
    resp = post(cam_client, "/import/dxf", {"dxf_base64": encoded, "layer": "BODY"})
    assert resp.status_code == 200 and resp.json_body["islands"] == 1
    cases = [({"dxf_base64": "%%%"}, "dxf_base64"),
             ({"dxf": text, "layer": "NOPE"}, "layer"),
             ({"dxf": text, "layer": "DIMENSIONS"}, "layer"),
             ({"dxf": "not a dxf at all"}, "dxf"),
             ({"layer": "BODY"}, "body"),
             ({"dxf": text, "units": "furlong"}, "units")]
    for body, field in cases:
        resp = post(cam_client, "/import/dxf", body)
        assert resp.status_code == 422, (body, resp.json_body)
        assert field in [d["path"] for d in resp.json_body["details"]], (field, resp.json_body)


def test_a_dxf_in_inches_is_read_in_mm():
    text, region = body_dxf(insunits=1, scale=1 / 25.4)
    imported = read_dxf(text.encode(), layer="BODY")
    assert imported.source_units == "inch"
    shell = shape(imported.geometry)
    # Both are chords of the same arcs: they differ by the flattening tolerances only.
    assert shell.exterior.hausdorff_distance(region.exterior) < 0.05
    assert shell.interiors[0].hausdorff_distance(region.interiors[0]) < 0.05
    assert shell.bounds == pytest.approx(region.bounds, abs=0.01)


def test_a_unitless_dxf_is_read_in_the_callers_units():
    text, region = body_dxf(insunits=0, scale=1 / 25.4)
    imported = read_dxf(text.encode(), layer="BODY", units="inch")
    assert shape(imported.geometry).bounds == pytest.approx(region.bounds, abs=0.01)


def test_line_and_arc_chains_close_into_loops_and_splines_are_flattened():
    doc = ezdxf.new("R2010", units=4)
    msp = doc.modelspace()
    # An outline from lines and a half circle, drawn in a scrambled order with one line reversed.
    msp.add_line((100, 0), (0, 0))
    msp.add_arc((100, 25), 25, -90, 90)
    msp.add_line((0, 50), (0, 0))
    msp.add_line((100, 50), (0, 50))
    msp.add_spline([(20, 15), (30, 35), (40, 15), (30, 10), (20, 15)])
    stream = io.StringIO()
    doc.write(stream)
    imported = read_dxf(stream.getvalue().encode(), tolerance_mm=0.01)
    outer = Polygon(shape(imported.geometry).exterior)
    expected = 100 * 50 + 3.141592653589793 * 25 ** 2 / 2
    assert outer.area == pytest.approx(expected, rel=1e-3)
    assert imported.islands == 1
    assert outer.contains(shape(imported.geometry, island=0))


def test_outlines_outside_each_other_or_no_closed_loop_are_refused():
    doc = ezdxf.new("R2010")
    msp = doc.modelspace()
    msp.add_circle((0, 0), 10, dxfattribs={"layer": "A"})
    msp.add_circle((50, 0), 10, dxfattribs={"layer": "A"})
    msp.add_line((0, 0), (10, 10), dxfattribs={"layer": "B"})
    stream = io.StringIO()
    doc.write(stream)
    data = stream.getvalue().encode()
    with pytest.raises(Invalid) as err:
        read_dxf(data, layer="A")
    assert err.value.issues[0].path == "layer" and "layer 'A'" in err.value.issues[0].message
    with pytest.raises(Invalid) as err:
        read_dxf(data, layer="B")
    assert "layer 'B'" in err.value.issues[0].message


SVG = b"""<svg xmlns="http://www.w3.org/2000/svg" width="100mm" height="80mm" viewBox="0 0 100 80">
<path d="M 10 10 L 90 10 A 20 20 0 0 1 90 50 L 10 70 C 0 50 0 30 10 10 Z"/>
<circle cx="40" cy="40" r="8"/></svg>"""


def test_an_svg_path_plans_through_the_api(cam_client, tmp_path):
    resp = post(cam_client, "/import/svg", {"svg": SVG.decode()})
    assert resp.status_code == 200, resp.json_body
    geometry = resp.json_body["geometry"]
    shell = shape(geometry)
    # Y flipped, so the drawing is not mirrored on the machine; the island is the circle.
    assert shell.bounds[0] == pytest.approx(2.5, abs=0.01) and shell.bounds[2] == pytest.approx(110, abs=0.01)
    assert shell.bounds[3] == pytest.approx(-10, abs=0.01)
    # Chords within 0.01 mm of the circle lose about 2/3 x 0.01 mm x its perimeter of area.
    assert shape(geometry, island=0).area == pytest.approx(3.14159265 * 64, rel=3e-3)
    intent = {"mode": "router_3axis",
              "design": {"operation": "pocket", "geometry": geometry, "depth_mm": 1.0, "tool_diameter_mm": 3.0}}
    resp = post(cam_client, "/plan", intent)
    assert resp.status_code == 200, resp.json_body
    check_pocket(resp.json_body["program"], shell, 3.0, 1.0, tmp_path)


def test_an_svg_in_user_units_takes_the_callers_units_and_open_paths_are_refused():
    plain = b'<svg xmlns="http://www.w3.org/2000/svg"><rect x="0" y="0" width="2" height="1"/></svg>'
    geometry = read_svg(plain, units="inch").geometry
    assert shape(geometry).area == pytest.approx(2 * 25.4 * 25.4, rel=1e-6)
    with pytest.raises(Invalid) as err:
        read_svg(b'<svg xmlns="http://www.w3.org/2000/svg"><path d="M 0 0 L 10 0 L 10 10"/></svg>')
    assert err.value.issues[0].path == "svg" and "open outline" in err.value.issues[0].message


def test_cli_plans_an_svg(tmp_path):
    drawing = tmp_path / "part.svg"
    drawing.write_bytes(SVG)
    out = tmp_path / "part.nc"
    proc = subprocess.run([sys.executable, "-m", "luthier.cli", "plan", "--svg-in", str(drawing), "--depth", "1",
                           "--tool-diameter", "3", "-o", str(out)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    shell = shape(read_svg(SVG).geometry)
    check_pocket(out.read_text(), shell, 3.0, 1.0, tmp_path)


def test_planning_the_imported_geometry_directly(tmp_path):
    text, region = body_dxf()
    geometry = read_dxf(text.encode(), layer="BODY").geometry
    result = plan_intent({"mode": "router_3axis", "design": {"operation": "pocket", "geometry": geometry,
                                                             "depth_mm": 1.0, "tool_diameter_mm": 3.0}})
    check_pocket(result.program, region, 3.0, 1.0, tmp_path)


@pytest.mark.parametrize("data", [b"", b"0\nSECTION\n2\nENTITIES\n0\nLWPOLYLINE\n10\nx\n", bytes(range(256)) * 4,
                                  b"0\nEOF\n"])
def test_garbage_dxf_is_refused_not_crashed(data):
    with pytest.raises(Invalid) as err:
        read_dxf(data)
    assert err.value.issues[0].path in ("dxf", "layer")


@pytest.mark.parametrize("data", [b"", b"<svg", b"<svg xmlns='http://www.w3.org/2000/svg'><path d='M 0 0 Q'/></svg>"])
def test_garbage_svg_is_refused_not_crashed(data):
    with pytest.raises(Invalid) as err:
        read_svg(data)
    assert err.value.issues[0].path == "svg"


def test_arcs_are_emitted_as_bulges_once_the_model_takes_them(monkeypatch):
    from chalicelib.rmos.cam.importers import loops

    text, region = body_dxf()
    monkeypatch.setattr(loops, "_bulges_supported", lambda: True)
    geometry = read_dxf(text.encode(), layer="BODY").geometry
    # The outline keeps its six vertices and three arcs; the circle is two half-circle bulges.
    assert len(geometry["points"]) == len(geometry["bulges"]) == 6
    assert sum(1 for b in geometry["bulges"] if b) == 3
    assert [abs(b) for b in geometry["island_bulges"][0]] == [1.0, 1.0]
    assert shape(geometry).symmetric_difference(region).area < 0.01
