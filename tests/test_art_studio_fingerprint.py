"""Design and feasibility fingerprints: stable under noise, sensitive to every real change."""
from __future__ import annotations

import copy
import json
from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.art_studio.feasibility import evaluate
from chalicelib.contracts.rosette import RosetteDesignV1
from tests.art_studio_support import JSON, PREFIX, classical_design


def fp(data: dict) -> str:
    return RosetteDesignV1.model_validate(data).fingerprint()


def _reverse_keys(value):
    if isinstance(value, dict):
        return {k: _reverse_keys(value[k]) for k in reversed(list(value))}
    if isinstance(value, list):
        return [_reverse_keys(v) for v in value]
    return value


def _map_floats(value, fn):
    if isinstance(value, dict):
        return {k: _map_floats(v, fn) for k, v in value.items()}
    if isinstance(value, list):
        return [_map_floats(v, fn) for v in value]
    if isinstance(value, float):
        return fn(value)
    return value


BASE = classical_design()


def test_key_order_does_not_matter():
    reordered = _reverse_keys(BASE)
    assert json.dumps(reordered) != json.dumps(BASE)
    assert fp(reordered) == fp(BASE)


def test_integers_and_floats_hash_alike():
    as_ints = _map_floats(BASE, lambda v: int(v) if v.is_integer() else v)
    assert as_ints["outer_diameter_mm"] == 110 and isinstance(as_ints["outer_diameter_mm"], int)
    assert fp(as_ints) == fp(BASE)


@pytest.mark.parametrize("noise", [1e-9, -1e-9, 4e-8])
def test_float_noise_does_not_matter(noise):
    noisy = _map_floats(BASE, lambda v: v + noise)
    assert fp(noisy) == fp(BASE)


def test_defaults_written_out_or_left_out_hash_alike():
    minimal = {k: v for k, v in BASE.items() if k not in ("center_mm", "top_thickness_mm")}
    assert fp(minimal) == fp(BASE)


def _changed(path: tuple, value) -> dict:
    design = copy.deepcopy(BASE)
    target = design
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    return design


def _rings(*widths: float) -> list[dict]:
    return [{"width_mm": w, "pattern_type": "SOLID"} for w in widths]


SENSITIVE = {
    "outer_diameter_mm": _changed(("outer_diameter_mm",), 112.0) | {"rings": _rings(5.0, 6.0)},
    "inner_diameter_mm": _changed(("inner_diameter_mm",), 92.0) | {"rings": _rings(4.0, 5.0)},
    "center_x": _changed(("center_mm",), [0.001, 0.0]),
    "center_y": _changed(("center_mm",), [0.0, -0.001]),
    "channel_depth_mm": _changed(("channel_depth_mm",), 1.601),
    "top_thickness_mm": _changed(("top_thickness_mm",), 2.9),
    "ring_width": _changed(("rings", 0, "width_mm"), 1.4) | {
        "rings": [dict(BASE["rings"][0], width_mm=1.4)] + BASE["rings"][1:4] + [dict(BASE["rings"][4], width_mm=1.6)]},
    "pattern_type": _changed(("rings", 2, "pattern_type"), "HERRINGBONE"),
    "tile_length_mm": _changed(("rings", 2, "tile_length_mm"), 4.5),
    "tile_length_removed": _changed(("rings", 2, "tile_length_mm"), None),
    "material": _changed(("rings", 0, "material"), "holly"),
    "ring_order": _changed(("rings",), list(reversed(BASE["rings"][:2])) + BASE["rings"][2:]),
    "ring_split": _changed(("rings",), BASE["rings"][:4] + _rings(0.75, 0.75)),
    "cut_soundhole": _changed(("cut_soundhole",), False),
    "soundhole_diameter_mm": _changed(("soundhole_diameter_mm",), 85.0),
}


@pytest.mark.parametrize("name", sorted(SENSITIVE))
def test_every_real_change_changes_the_fingerprint(name):
    changed = SENSITIVE[name]
    assert changed != BASE
    assert fp(changed) != fp(BASE)


def test_all_changes_are_distinct():
    prints = {fp(d) for d in SENSITIVE.values()} | {fp(BASE)}
    assert len(prints) == len(SENSITIVE) + 1


def test_feasibility_fingerprint_ignores_evaluated_at():
    design = RosetteDesignV1.model_validate(BASE)
    t0 = datetime(2025, 1, 1, tzinfo=timezone.utc)
    a, b = evaluate(design, t0), evaluate(design, t0 + timedelta(days=30))
    assert a.evaluated_at != b.evaluated_at
    assert a.fingerprint() == b.fingerprint()
    noisy = RosetteDesignV1.model_validate(_map_floats(BASE, lambda v: v + 1e-9))
    assert evaluate(noisy, t0).fingerprint() == a.fingerprint()
    other = RosetteDesignV1.model_validate(SENSITIVE["channel_depth_mm"])
    assert evaluate(other, t0).fingerprint() != a.fingerprint()


def test_sessions_share_a_fingerprint_for_the_same_design(client):
    def create(design):
        resp = client.http.post(f"{PREFIX}/sessions", headers=JSON, body=json.dumps({"design": design}))
        assert resp.status_code == 201
        return resp.json_body["design_fingerprint"]

    raw = json.dumps({"design": _reverse_keys(BASE)}).replace("110.0", "110").replace("90.0", "90.000000001")
    resp = client.http.post(f"{PREFIX}/sessions", headers=JSON, body=raw)
    assert resp.status_code == 201, resp.json_body
    assert resp.json_body["design_fingerprint"] == create(BASE) == fp(BASE)
    assert create(SENSITIVE["material"]) != fp(BASE)
