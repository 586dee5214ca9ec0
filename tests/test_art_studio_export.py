"""Export: approved -> exported with a to-scale SVG and DXF of the rosette."""
from __future__ import annotations

import io
import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from urllib.parse import urlparse

import ezdxf
import pytest

from chalicelib import config
from chalicelib.storage import blobs
from tests.art_studio_support import PREFIX, approved_session, classical_design, create, move, post, s3_keys

SVG_NS = "{http://www.w3.org/2000/svg}"


def expected_radii(design: dict) -> list[float]:
    """Channel edges and ring boundaries, worked out from the design independently."""
    radii = [design["inner_diameter_mm"] / 2]
    for ring in design["rings"]:
        radii.append(radii[-1] + ring["width_mm"])
    return radii


def _export(client, design=None):
    session = approved_session(client, design)
    resp = post(client, f"/sessions/{session['session_id']}/export", {"note": "to the shop"})
    assert resp.status_code == 200, resp.json_body
    return session, resp.json_body


def _stored(session, kind):
    key = f"exports/{session['session_id']}/{session['design_fingerprint']}.{kind}"
    raw = blobs.get_bytes(config.artifacts_bucket(), key)
    assert raw is not None, key
    return raw


def test_export_moves_to_exported_and_links_both_drawings(client):
    session, body = _export(client)
    exported = body["session"]
    assert exported["state"] == "exported"
    assert exported["version"] == session["version"] + 1
    assert exported["history"][-1] | {"at": None} == {"from_state": "approved", "to_state": "exported",
                                                      "actor": "dana", "actor_sub": client.sub("dana"),
                                                      "note": "to the shop", "at": None}
    assert set(body["downloads"]) == {"svg", "dxf"}
    for kind, url in body["downloads"].items():
        parsed = urlparse(url)
        assert parsed.path.endswith(f"/exports/{session['session_id']}/{session['design_fingerprint']}.{kind}")
        assert "X-Amz-Signature=" in parsed.query
    assert s3_keys(config.artifacts_bucket()) == sorted(
        f"exports/{session['session_id']}/{session['design_fingerprint']}.{k}" for k in ("svg", "dxf"))


def test_svg_has_a_circle_per_ring_boundary_to_scale(client):
    session, _ = _export(client)
    root = ET.fromstring(_stored(session, "svg"))
    assert root.tag == f"{SVG_NS}svg"
    assert root.get("width") == root.get("height") == "120mm"  # 110 mm rosette + 5 mm margin each side
    circles = root.findall(f".//{SVG_NS}circle")
    by_class: dict[str, list[float]] = {}
    for c in circles:
        by_class.setdefault(c.get("class"), []).append(float(c.get("r")))
        assert (float(c.get("cx")), float(c.get("cy"))) == (0.0, 0.0)
    radii = expected_radii(session["design"])
    assert sorted(by_class["channel-edge"]) == pytest.approx([radii[0], radii[-1]])
    assert sorted(by_class["ring-boundary"]) == pytest.approx(radii[1:-1])
    assert by_class["soundhole"] == pytest.approx([42.0])


def test_dxf_reads_back_with_named_layers(client):
    session, _ = _export(client)
    doc = ezdxf.read(io.StringIO(_stored(session, "dxf").decode("utf-8")))
    assert doc.header["$INSUNITS"] == 4  # millimetres
    layers = {}
    for e in doc.modelspace().query("CIRCLE"):
        layers.setdefault(e.dxf.layer, []).append(e.dxf.radius)
        assert tuple(e.dxf.center)[:2] == (0.0, 0.0)
    radii = expected_radii(session["design"])
    assert sorted(layers["CHANNEL_EDGES"]) == pytest.approx([radii[0], radii[-1]])
    assert sorted(layers["RING_BOUNDARIES"]) == pytest.approx(radii[1:-1])
    assert layers["SOUNDHOLE"] == pytest.approx([42.0])
    assert {"CHANNEL_EDGES", "RING_BOUNDARIES", "SOUNDHOLE"} <= {layer.dxf.name for layer in doc.layers}
    auditor = doc.audit()
    assert not auditor.has_errors, [str(e) for e in auditor.errors]


def test_off_centre_design_without_soundhole(client):
    design = classical_design(center_mm=[10.0, -5.0], cut_soundhole=False, soundhole_diameter_mm=None)
    session, _ = _export(client, design)
    svg_circles = ET.fromstring(_stored(session, "svg")).findall(f".//{SVG_NS}circle")
    assert len(svg_circles) == len(design["rings"]) + 1
    # SVG's y axis points down, so the drawing flips y to stay a true view from above.
    assert {(c.get("cx"), c.get("cy")) for c in svg_circles} == {("10", "5")}
    dxf = ezdxf.read(io.StringIO(_stored(session, "dxf").decode("utf-8")))
    centres = {tuple(e.dxf.center)[:2] for e in dxf.modelspace().query("CIRCLE")}
    assert centres == {(10.0, -5.0)}
    assert not dxf.modelspace().query('CIRCLE[layer=="SOUNDHOLE"]')


def test_repeat_export_reissues_links_without_changing_the_session(client):
    session, first = _export(client)
    sid = session["session_id"]
    again = post(client, f"/sessions/{sid}/export")
    assert again.status_code == 200
    assert again.json_body["session"] == first["session"]
    assert set(again.json_body["downloads"]) == {"svg", "dxf"}
    assert len(s3_keys(config.artifacts_bucket())) == 2
    stale = post(client, f"/sessions/{sid}/export", {"version": 1})
    assert stale.status_code == 409 and stale.json_body["code"] == "stale_version"


@pytest.mark.parametrize("state_path", [[], ["in_review"], ["in_review", "rejected"]])
def test_export_requires_approval(client, state_path):
    sid = create(client)["session_id"]
    post(client, f"/sessions/{sid}/feasibility")
    for step in state_path:
        assert move(client, sid, step).status_code == 200
    before = client.http.get(f"{PREFIX}/sessions/{sid}").json_body
    resp = post(client, f"/sessions/{sid}/export")
    assert resp.status_code == 409
    assert resp.json_body["code"] == "invalid_transition"
    [issue] = resp.json_body["details"]
    assert issue["path"] == "to_state" and "-> exported is not allowed" in issue["message"]
    assert client.http.get(f"{PREFIX}/sessions/{sid}").json_body == before
    assert s3_keys(config.artifacts_bucket()) == []


def test_transition_to_exported_also_writes_the_drawings(client):
    session = approved_session(client)
    assert move(client, session["session_id"], "exported").status_code == 200
    assert len(s3_keys(config.artifacts_bucket(), f"exports/{session['session_id']}/")) == 2


def test_api_modules_do_not_load_heavy_libraries():
    code = ("import sys, json; import chalicelib.art_studio.routes; "
            "print(json.dumps([m for m in ('ezdxf', 'shapely', 'numpy') if m in sys.modules]))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=str(__import__("pathlib").Path(__file__).resolve().parent.parent))
    assert json.loads(out.stdout) == []
