"""Self-check rules one by one: each refuses the program it exists for, however the text is written."""
from __future__ import annotations

import math

import pytest

from chalicelib.rmos.cam import posts
from chalicelib.rmos.cam.selfcheck import SelfCheckFailed, run_checks
from chalicelib.rmos.cam.toolpath import Arc, Line, Program, Rapid, Section
from tests.cam.truth import run_rs274

pytestmark = pytest.mark.rs274

GRBL = posts.dialect("grbl")


def _program(moves, units="mm"):
    return Program(sections=[Section("op", moves, 12000.0, 3.175)], safe_z_mm=5.0, units=units, title="rules")


def _ring(units="mm"):
    """A drilled hole at the origin, then a ring about it: lines, a full circle and a helical half."""
    return _program([Rapid(0, 0, 5), Rapid(0, 0, 0.5), Line(0, 0, -1, 200), Rapid(0, 0, 5),
                     Rapid(10, 0, 5), Rapid(10, 0, 0.5), Line(10, 0, -1, 200),
                     Arc(10, 0, -1, 0, 0, False, 600, 2 * math.pi),
                     Arc(-10, 0, -1.5, 0, 0, True, 600, -math.pi), Rapid(-10, 0, 5)], units)


def _outcome(text, **kw):
    """{check id: (status, message)} when every check passes, else only the failed ones."""
    args = {"dialect": GRBL, "safe_z_mm": 5.0, "max_depth_mm": 1.5, **kw}
    try:
        return {c.id: (c.status, c.message) for c in run_checks(text, **args)}
    except SelfCheckFailed as exc:
        return {i.path.removeprefix("program."): ("fail", i.message) for i in exc.issues}


def _refused(text, check, **kw):
    with pytest.raises(SelfCheckFailed) as exc:
        run_checks(text, **{"dialect": GRBL, "safe_z_mm": 5.0, "max_depth_mm": 1.5, **kw})
    messages = {i.path: i.message for i in exc.value.issues}
    assert f"program.{check}" in messages, messages
    return messages[f"program.{check}"]


@pytest.fixture(scope="module")
def ring_text():
    return posts.render(_ring(), GRBL)


def test_the_ring_passes_and_reads_back(ring_text, tmp_path):
    outcome = _outcome(ring_text)
    assert all(status == "pass" for status, _ in outcome.values()), outcome
    assert outcome["max_depth"][1].startswith("deepest Z -1.5000 mm")
    run_rs274(ring_text, tmp_path)


def test_a_program_that_cuts_nothing_is_refused(ring_text):
    no_cuts = "\n".join(ln for ln in ring_text.splitlines() if ln.split(" ")[0] not in ("G1", "G2", "G3")) + "\n"
    assert _refused(no_cuts, "non_empty") == "the program cuts nothing"


def test_a_sideways_rapid_below_safe_z_is_refused(ring_text):
    low = ring_text.replace("G0 X10\n", "G0 Z1\nG0 X10\n", 1)
    assert "rapid sideways at Z 1.000 mm, below safe Z 5" in _refused(low, "no_rapid_into_material")
    # The same text with a lower safe Z is fine: the rule follows the job's safe Z.
    assert _outcome(low, safe_z_mm=1.0)["no_rapid_into_material"][0] == "pass"


def test_a_rapid_into_a_drilled_hole_is_accepted_only_in_the_hole_and_only_as_deep_as_it_was_cut(ring_text):
    into_hole = ring_text.replace("G0 X10\n", "G0 Z-0.8\nG0 Z5\nG0 X10\n", 1)
    assert _outcome(into_hole)["no_rapid_into_material"][0] == "pass"
    # Two microns beside the hole, or deeper than it was drilled, is solid wood.
    beside = ring_text.replace("G0 X10\n", "G0 X0.002\nG0 Z-0.8\nG0 Z5\nG0 X10\n", 1)
    assert "rapid down into material to Z -0.800 mm" in _refused(beside, "no_rapid_into_material")
    deeper = ring_text.replace("G0 X10\n", "G0 Z-1.2\nG0 Z5\nG0 X10\n", 1)
    assert "rapid down into material to Z -1.200 mm" in _refused(deeper, "no_rapid_into_material")


def test_a_hole_written_at_minus_zero_is_the_same_hole():
    text = ("G21\nG90\nG0 Z5\nM3 S12000\nG0 X-0 Y-0.0001\nG0 Z0.5\nG1 Z-1 F100\nG0 Z5\n"
            "G0 X0 Y0\nG0 Z-0.5\nG0 Z5\nM5\nM30\n")
    assert _outcome(text)["no_rapid_into_material"][0] == "pass"
    assert "rapid down" in _refused(text.replace("G0 X0 Y0\n", "G0 X0 Y0.001\n"), "no_rapid_into_material")


def test_forbidden_words_are_refused_however_they_are_spelled(ring_text):
    for line, word in (("M06", "M6"), ("t2 m6", "M6"), ("G43 H1", "G43"), ("(tool) G90.1", "G90.1"),
                       ("G81 X0 Y0 Z-1 R1", "G81")):
        text = ring_text.replace("G94\n", f"G94\n{line}\n", 1)
        assert f"'{word}'" in _refused(text, "grbl_safe_text"), line
    # LinuxCNC takes M6; it has no text rule at all.
    linuxcnc = posts.dialect("linuxcnc")
    assert "linuxcnc_safe_text" not in _outcome(ring_text.replace("G94\n", "G94\nM6\n"), dialect=linuxcnc)


def test_hand_written_spellings_read_as_the_posts_own(ring_text):
    """Lower case, leading zeros, comments, line numbers, no spaces: the same motions, the same verdicts."""
    def respell(line):
        if not line.startswith(("G0 ", "G1 ", "G2 ", "G3 ")):
            return line
        code, rest = line.split(" ", 1)
        return f"n10 {code[0]}0{code[1]} (move) " + rest.lower().replace(" ", "") + " ; done"
    odd = "\n".join(respell(ln) for ln in ring_text.splitlines()) + "\n"
    assert odd != ring_text
    assert _outcome(odd) == _outcome(ring_text)
    for max_depth in (1.0, 1.5):
        assert _outcome(odd, max_depth_mm=max_depth) == _outcome(ring_text, max_depth_mm=max_depth)
    # A rapid down into the wood is refused in either spelling.
    down = "g00 z-0.5 (plunge)"
    plunge = odd.replace("n10 G00 (move) z0.5 ; done", down, 1)
    assert plunge != odd
    assert "rapid down" in _refused(plunge, "no_rapid_into_material")
    assert "rapid down" in _refused(ring_text.replace("G0 Z0.5", down, 1), "no_rapid_into_material")


def test_an_inch_program_is_checked_in_mm(tmp_path):
    text = posts.render(_ring("inch"), GRBL)
    assert "G20" in text
    outcome = _outcome(text)
    # -0.05906 in is -1.500124 mm.
    assert outcome["max_depth"] == ("pass", "deepest Z -1.5001 mm; deepest requested 1.5 mm"), outcome
    deeper = text.replace("Z-0.05906", "Z-0.0591")
    assert deeper != text
    assert "cuts to Z -1.5011 mm" in _refused(deeper, "max_depth")
    # G21 after G20 makes the same numbers millimetres: 0.06 mm deep, and a safe Z of 0.2 mm.
    as_mm = text.replace("G20\n", "G20\nG21\n", 1)
    assert "cuts to Z -1.5001 mm" in _refused(text, "max_depth", max_depth_mm=1.2)
    assert _outcome(as_mm, max_depth_mm=1.2, safe_z_mm=0.1)["max_depth"] == (
        "pass", "deepest Z -0.0591 mm; deepest requested 1.2 mm")
    run_rs274(text, tmp_path)


def test_g21_wins_over_g20_on_the_same_line(ring_text):
    for units in ("G20 G21", "G21 G20"):
        text = ring_text.replace("G21\n", units + "\n", 1)
        assert _outcome(text) == _outcome(ring_text), units


def test_a_line_repeated_after_a_change_of_units_is_read_in_the_new_units():
    text = ("G21\nG90\nG0 Z5\nM3 S12000\nG0 X0 Y0\nG0 Z0.5\nG1 Z-1 F100\nG0 Z5\n"
            "G20\nG0 Z0.5\nG1 Z-1 F100\nG0 Z5\nM5\nM30\n")
    assert "cuts to Z -25.4000 mm" in _refused(text, "max_depth", max_depth_mm=2.0)
    assert _outcome(text.replace("G20\n", "G21\n"), max_depth_mm=2.0)["max_depth"][0] == "pass"


@pytest.mark.parametrize("seed", range(40))
def test_the_last_line_is_the_last_with_anything_but_blanks_or_percent(seed, ring_text):
    """Trailing blanks, "%", carriage returns and other line breaks."""
    import random

    from chalicelib.rmos.cam.selfcheck import _last_line

    rng = random.Random(seed)
    fillers = ["", " ", "%", " % ", "\t", "\r", "\x0c", "\u2028"]
    tail = "".join(rng.choice(fillers) + rng.choice(["\n", "\r\n", "\r"]) for _ in range(rng.choice([0, 3, 200, 3000])))
    last = rng.choice(["M30", "M5", "  M30  ", "G0 Z5", ""])
    head = rng.choice([ring_text, "", "M30\n", "x" * rng.randint(0, 5000)])
    text = head + last + rng.choice(["\n", "\r\n", ""]) + tail
    expected = next((s for s in (ln.strip() for ln in reversed(text.splitlines())) if s and s != "%"), None)
    assert _last_line(text.splitlines()) == expected
    # _outcome lists only the failed checks when any fails.
    status = _outcome(text).get("ends_with_m30", ("pass", ""))[0]
    assert (status == "pass") == (expected == "M30")
