"""Posts: GRBL-safe text, header order, spindle/end codes, arc radii under rounding."""
from __future__ import annotations

import math
import random

import pytest

from chalicelib.rmos.cam import posts
from chalicelib.rmos.cam.posts.base import PostError, sanitize_comment
from chalicelib.rmos.cam.selfcheck import SelfCheckFailed, run_checks
from chalicelib.rmos.cam.toolpath import Arc, Line, Program, Rapid, Section
from tests.cam.gcode import code_lines, grbl_arc_errors, words
from tests.cam.truth import run_rs274

pytestmark = pytest.mark.rs274

GRBL_FORBIDDEN_WORDS = {"G81", "G82", "G83", "G73", "M6", "G90.1", "M7"}


def program(moves, units="mm", title="test", rpm=12000.0):
    return Program(sections=[Section("op", moves, rpm, 3.175)], safe_z_mm=5.0, units=units, title=title)


def circle_program(r=10.0, units="mm"):
    return program([Rapid(r, 0, 5), Rapid(r, 0, 0.5), Line(r, 0, -1, 200),
                    Arc(r, 0, -1, 0, 0, False, 600, 2 * math.pi),
                    Arc(-r, 0, -1.5, 0, 0, True, 600, -math.pi), Rapid(-r, 0, 5)], units)


def test_header_order_spindle_and_end():
    for name in posts.DIALECTS:
        text = posts.render(circle_program(), posts.dialect(name))
        lines = [ln for ln in code_lines(text) if ln != "%"]
        assert text.startswith("(") or text.startswith("%\n(")
        assert lines[:5] == ["G21", "G90", "G17", "G94", "G0 Z5"]
        first_cut = next(i for i, ln in enumerate(lines) if ln.split()[0] in ("G1", "G2", "G3"))
        first_m3 = next(i for i, ln in enumerate(lines) if ln.startswith("M3 S"))
        assert first_m3 < first_cut
        assert lines[-2:] == ["M5", "M30"]


def test_grbl_text_has_nothing_grbl_misreads(tmp_path):
    moves = [Rapid(0, 0, 5), Rapid(0, 0, 0.5), Line(0, 0, -1, 100), Rapid(0, 0, 0.5), Rapid(0, 0, -0.75),
             Line(0, 0, -2, 100), Rapid(0, 0, 5)]
    p = Program([Section("peck drill: ? ! ~ % (nested) — rosette ø12", moves, 12000, 3.175, "1/8\" bit ½")],
                safe_z_mm=5.0, title="Rosette ✓ 100%? yes!")
    second = Section("second tool", [Rapid(5, 5, 5), Rapid(5, 5, 0.5), Line(5, 5, -1, 100), Rapid(5, 5, 5)],
                     16000, 6.0, "6 mm end mill")
    p.sections.append(second)
    text = posts.render(p, posts.dialect("grbl"))
    assert all(ord(ch) < 127 for ch in text)
    for ch in "?!~%":
        assert ch not in text
    tokens = {f"{k}{v:g}" for line in code_lines(text) for k, v in words(line).items()}
    assert not tokens & GRBL_FORBIDDEN_WORDS
    assert "G90.1" not in text
    # The second tool is a pause for the operator, not M6.
    assert "M0" in code_lines(text)
    canon = run_rs274(text, tmp_path)
    assert canon.spindle_on_before_first_cut
    run_checks(text, dialect=posts.dialect("grbl"), safe_z_mm=5.0, max_depth_mm=2.0)


def test_linuxcnc_tool_change_uses_m6(tmp_path):
    p = program([Rapid(0, 0, 5), Rapid(0, 0, 0.5), Line(0, 0, -1, 100), Rapid(0, 0, 5)])
    p.sections.append(Section("b", [Rapid(5, 5, 5), Rapid(5, 5, 0.5), Line(5, 5, -1, 100), Rapid(5, 5, 5)],
                              16000, 6.0))
    text = posts.render(p, posts.dialect("linuxcnc"))
    assert "T2 M6" in text and text.startswith("%\n") and text.endswith("%\n")
    run_rs274(text, tmp_path)


def test_comment_sanitiser():
    grbl = posts.dialect("grbl")
    assert sanitize_comment("Ø 12 mm (inner) ~ ring ? ok! 100%", grbl) == "O 12 mm inner ring ok 100"
    assert sanitize_comment("tab\there\nnewline", grbl) == "tab here newline"


def test_arc_radii_stay_consistent_after_rounding(tmp_path):
    rng = random.Random(20251226)
    for units in ("mm", "inch"):
        moves = [Rapid(0, 0, 5)]
        for _ in range(150):
            r = 10 ** rng.uniform(-0.7, 2.6)  # 0.2 .. 400 mm
            cx, cy = rng.uniform(-300, 300), rng.uniform(-300, 300)
            a0 = rng.uniform(0, 2 * math.pi)
            sweep = rng.choice([rng.uniform(0.01, 6.2), 2 * math.pi])
            cw = rng.random() < 0.5
            a1 = a0 - sweep if cw else a0 + sweep
            sx, sy = cx + r * math.cos(a0), cy + r * math.sin(a0)
            ex, ey = (sx, sy) if sweep == 2 * math.pi else (cx + r * math.cos(a1), cy + r * math.sin(a1))
            moves += [Rapid(sx, sy, 5), Rapid(sx, sy, 0.5), Line(sx, sy, -0.5, 300),
                      Arc(ex, ey, -1.0, cx, cy, cw, 900, -sweep if cw else sweep), Rapid(ex, ey, 5)]
        p = program(moves, units)
        for name in posts.DIALECTS:
            text = posts.render(p, posts.dialect(name))
            assert grbl_arc_errors(text) == []
            checks = run_checks(text, dialect=posts.dialect(name), safe_z_mm=5.0, max_depth_mm=1.0)
            assert {c.id: c.status for c in checks}["arc_radii"] == "pass"
        run_rs274(text, tmp_path, name=f"arcs-{units}.ngc")


def test_post_refuses_an_inconsistent_arc():
    bad = program([Rapid(10, 0, 5), Rapid(10, 0, 0.5), Line(10, 0, -1, 100),
                   Arc(0, 10.5, -1, 0, 0, False, 100, math.pi / 2)])
    with pytest.raises(PostError):
        posts.render(bad, posts.dialect("grbl"))


def test_sideways_rapid_is_split_to_travel_at_safe_z(tmp_path):
    p = program([Rapid(0, 0, 5), Rapid(0, 0, 0.5), Line(0, 0, -1, 100), Line(5, 0, -1, 100),
                 Rapid(20, 20, 1.0), Line(20, 20, -1, 100), Rapid(20, 20, 5)])
    text = posts.render(p, posts.dialect("grbl"))
    lines = code_lines(text)
    i = lines.index("G0 X20 Y20")
    assert lines[i - 1] == "G0 Z5" and lines[i + 1] == "G0 Z1"
    run_checks(text, dialect=posts.dialect("grbl"), safe_z_mm=5.0, max_depth_mm=1.0)
    run_rs274(text, tmp_path)


def test_helical_arc_carries_z(tmp_path):
    text = posts.render(circle_program(), posts.dialect("grbl"))
    helix = [ln for ln in code_lines(text) if ln.split()[0] == "G2"]
    assert helix and "Z-1.5" in helix[0]
    canon = run_rs274(text, tmp_path)
    arc = [s for s in canon.segments if s.kind == "arc"][-1]
    assert arc.rotation < 0 and arc.end[2] == pytest.approx(-1.5)


def test_selfcheck_catches_broken_programs():
    grbl = posts.dialect("grbl")
    good = posts.render(circle_program(), grbl)
    run_checks(good, dialect=grbl, safe_z_mm=5.0, max_depth_mm=1.5)
    broken = {
        "ends_with_m30": good.replace("M30\n", ""),
        "spindle_before_cut": good.replace("M3 S12000\n", "").replace("M5\n", "M5\nM3 S1\n"),
        "no_rapid_into_material": good.replace("G0 Z0.5", "G0 Z-0.5"),
        "max_depth": good,
        "grbl_safe_text": good.replace("(test)", "(tést?)"),
        "arc_radii": good.replace("G2 X-10 Y0 Z-1.5 I-10 J0", "G2 X-10 Y0 Z-1.5 I-10.5 J0"),
    }
    for check, text in broken.items():
        depth = 1.0 if check == "max_depth" else 1.5
        assert text != good or check == "max_depth"
        with pytest.raises(SelfCheckFailed) as exc:
            run_checks(text, dialect=grbl, safe_z_mm=5.0, max_depth_mm=depth)
        assert f"program.{check}" in {i.path for i in exc.value.issues}, (check, exc.value.issues)


def test_rapid_down_into_a_cleared_area_is_accepted_but_not_beside_it():
    grbl = posts.dialect("grbl")
    cleared = [Rapid(0, 0, 5), Rapid(0, 0, 0.5), Line(0, 0, -1, 100)]
    for y in (0, 1, 2, 3, 4):
        cleared += [Line(0, y, -1, 300), Line(10, y, -1, 300)]
    ok = program(cleared + [Rapid(10, 4, 5), Rapid(5, 2, 5), Rapid(5, 2, -0.5), Line(5, 2, -2, 100),
                            Rapid(5, 2, 5)])
    run_checks(posts.render(ok, grbl), dialect=grbl, safe_z_mm=5.0, max_depth_mm=2.0, tool_radius_mm=1.0)
    beside = program(cleared + [Rapid(10, 4, 5), Rapid(5, 8, 5), Rapid(5, 8, -0.5), Line(5, 8, -2, 100),
                                Rapid(5, 8, 5)])
    with pytest.raises(SelfCheckFailed):
        run_checks(posts.render(beside, grbl), dialect=grbl, safe_z_mm=5.0, max_depth_mm=2.0, tool_radius_mm=1.0)


def test_words_print_only_what_the_controller_does_not_already_hold(tmp_path):
    # Lengths that round to -0 print as 0; a change smaller than the last printed
    # decimal prints nothing; a feed prints only when it changes.
    p = program([Rapid(-0.00001, 0.00002, 5), Rapid(-0.00001, 0.00002, 0.5), Line(-0.00004, 0.0, -1, 100),
                 Line(10.00001, 0, -1, 100), Line(10.00004, 0, -1.00002, 100), Line(10.0001, 0, -1, 150),
                 Arc(-10.0001, 0, -1, 0.00001, -0.00003, False, 150, math.pi), Rapid(-10.0001, 0, 5)])
    text = posts.render(p, posts.dialect("grbl"))
    assert code_lines(text)[4:] == ["G0 Z5", "M3 S12000", "G4 P3", "G0 X0 Y0", "G0 Z0.5", "G1 Z-1 F100", "G1 X10",
                                    "G1 X10.0001 F150", "G3 X-10.0001 Y0 I-10.0001 J0", "G0 Z5", "M5", "M30"]
    run_checks(text, dialect=posts.dialect("grbl"), safe_z_mm=5.0, max_depth_mm=1.0)
    run_rs274(text, tmp_path)


def test_an_arc_is_checked_from_its_own_start_even_when_its_end_and_centre_were_cut_before():
    grbl = posts.dialect("grbl")
    ring = [Rapid(10, 0, 5), Rapid(10, 0, 0.5), Line(10, 0, -1, 100), Arc(0, 10, -1, 0, 0, False, 100, math.pi / 2),
            Rapid(0, 10, 5)]
    posts.render(program(ring), grbl)
    # The same end and centre from a start 0.5 mm off the circle.
    off = ring + [Rapid(10.5, 0, 5), Rapid(10.5, 0, 0.5), Line(10.5, 0, -1, 100),
                  Arc(0, 10, -1, 0, 0, False, 100, math.pi / 2)]
    with pytest.raises(PostError, match="arc radii differ"):
        posts.render(program(off), grbl)


class _RapidKind(Rapid):
    __slots__ = ()


class _LineKind(Line):
    __slots__ = ()


class _ArcKind(Arc):
    __slots__ = ()


def test_moves_of_a_subclass_render_as_their_base_and_unknown_moves_are_refused(tmp_path):
    """The renderer looks at exact types first; a subclass still takes its base's way."""
    plain = circle_program()
    kinds = {Rapid: _RapidKind, Line: _LineKind, Arc: _ArcKind}
    moves = [kinds[type(m)](*(getattr(m, f) for f in m.__dataclass_fields__)) for m in plain.sections[0].moves]
    assert {type(m) for m in moves} == {_RapidKind, _LineKind, _ArcKind}
    for name in posts.DIALECTS:
        text = posts.render(program(moves), posts.dialect(name))
        assert text == posts.render(plain, posts.dialect(name))
        run_rs274(text, tmp_path, name=f"subclassed-{name}.ngc")
    with pytest.raises(PostError, match="unknown move"):
        posts.render(program([Rapid(0, 0, 5), (0, 0, 5)]), posts.dialect("grbl"))  # type: ignore[list-item]


def test_repeated_arcs_print_as_the_first_did_from_the_same_start(tmp_path):
    """The words an arc prints are worked out once per start, end and centre; a level repeated
    at another depth prints the same arcs with only Z changing, and one from another start gets its own I/J."""
    ring = [Arc.from_start((10.0, 0.0), 0.0, 10.0, -1.0, 0.0, 0.0, False, 600.0),
            Arc.from_start((0.0, 10.0), 10.0, 0.0, -1.0, 0.0, 0.0, False, 600.0)]
    moves = [Rapid(10.0, 0.0, 5.0), Rapid(10.0, 0.0, 0.5), Line(10.0, 0.0, -1.0, 200.0), *ring,
             Line(10.0, 0.0, -2.0, 200.0),
             *(Arc(a.x, a.y, -2.0, a.cx, a.cy, a.clockwise, a.feed, a.sweep) for a in ring),
             Line(0.0, -10.0, -2.0, 200.0),  # a different start for the same end and centre
             Arc.from_start((0.0, -10.0), 10.0, 0.0, -2.0, 0.0, 0.0, False, 600.0), Rapid(10.0, 0.0, 5.0)]
    text = posts.render(program(moves), posts.dialect("grbl"))
    arcs_written = [ln for ln in code_lines(text) if ln.split()[0] in ("G2", "G3")]
    assert arcs_written == ["G3 X0 Y10 I-10 J0 F600", "G3 X10 Y0 I0 J-10",
                            "G3 X0 Y10 I-10 J0 F600", "G3 X10 Y0 I0 J-10",
                            "G3 X10 Y0 I0 J10 F600"]
    run_rs274(text, tmp_path, name="repeated-arcs.ngc")
