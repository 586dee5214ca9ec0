"""Run FreeCAD's Pocket Shape (Offset pattern) on the peer cases; write bench/freecad_results.json.

`make bench-freecad` (or `python -m bench.freecad_peer [--only NAME]`) needs
`freecadcmd` (Debian package `freecad`); `make bench` and the tests only read
the results file this writes, so they never need FreeCAD.

For each case in bench/peer_cases.py a FreeCAD script is generated: a stock
block with the pocket cut into it (islands stand to the top), a Job on it, the
job's tool controller set to the shared tool and feeds, a Pocket Shape on the
pocket's floor face with the Offset pattern, and FreeCAD's `linuxcnc` post.
Planning time is the operation's recompute plus the post, measured inside
FreeCAD. The program is then measured with bench.gcode_metrics, the same
function the bench uses for the project's programs, and read by LinuxCNC's
`rs274` to confirm the parse: the motion counts must agree.
"""
from __future__ import annotations

import argparse
import json
import pathlib
import shutil
import subprocess
import sys
import tempfile
from typing import Any

from bench import gcode_metrics, peer_cases

HERE = pathlib.Path(__file__).resolve().parent
RESULTS = HERE / "freecad_results.json"
RS274 = "/usr/bin/rs274"
# FreeCAD's own defaults for anything the shared setup does not name; precision 4
# matches the project's linuxcnc post, so neither side is shorter by rounding.
POST_ARGS = "--no-show-editor --precision=4"

_DRIVER = r'''
import json, time, traceback
import FreeCAD, Part
from FreeCAD import Vector

SPEC = json.load(open(%(spec)r))
OUT = %(out)r
result = {"version": ".".join(FreeCAD.Version()[:3])}
try:
    from PathScripts import PathJob, PathPocketShape
    from PathScripts.post import linuxcnc_post

    geo, cut = SPEC["geometry"], SPEC["setup"]
    depth = cut["depth_mm"]

    def polygon(points):
        return Part.makePolygon([Vector(x, y, 0) for x, y in points])

    def circle(center, radius):
        return Part.Wire(Part.makeCircle(radius, Vector(center[0], center[1], 0)))

    if geo["type"] == "annulus":
        outer, holes = circle(geo["center"], geo["outer_radius_mm"]), [circle(geo["center"], geo["inner_radius_mm"])]
    else:
        outer, holes = polygon(geo["points"]), [polygon(ring) for ring in geo.get("islands", [])]
    face = Part.Face(outer)
    for hole in holes:
        face = face.cut(Part.Face(hole))
    pocket = face.extrude(Vector(0, 0, depth + 1))
    pocket.translate(Vector(0, 0, -depth))
    bb = face.BoundBox
    margin = 10.0
    block = Part.makeBox(bb.XLength + 2 * margin, bb.YLength + 2 * margin, depth + 5,
                         Vector(bb.XMin - margin, bb.YMin - margin, -(depth + 5)))
    doc = FreeCAD.newDocument("peer")
    model = doc.addObject("Part::Feature", "Model")
    model.Shape = block.cut(pocket)
    doc.recompute()

    job = PathJob.Create("Job", [model])
    base = job.Model.Group[0]
    floor = [("Face%%d" %% (i + 1)) for i, f in enumerate(base.Shape.Faces)
             if abs(f.BoundBox.ZMin + depth) < 1e-6 and abs(f.BoundBox.ZMax + depth) < 1e-6]
    tc = job.Tools.Group[0]
    tc.Tool.Diameter = cut["tool_diameter_mm"]
    tc.HorizFeed = "%%g mm/min" %% cut["feed_mm_min"]
    tc.VertFeed = "%%g mm/min" %% cut["plunge_mm_min"]
    tc.SpindleSpeed = cut["spindle_rpm"]
    doc.recompute()

    op = PathPocketShape.Create("Pocket")
    op.Base = [(base, floor)]
    op.OffsetPattern = "Offset"
    op.StepOver = int(round(cut["stepover_pct"]))
    op.CutMode = "Climb"
    for prop, value in (("StepDown", cut["stepdown_mm"]), ("SafeHeight", cut["safe_z_mm"]),
                        ("ClearanceHeight", cut["safe_z_mm"]), ("StartDepth", 0.0), ("FinalDepth", -depth)):
        op.setExpression(prop, None)
        setattr(op, prop, value)
    start = time.perf_counter()
    doc.recompute()
    planned = time.perf_counter()
    gcode = linuxcnc_post.export([tc, op], "-", %(post_args)r)
    done = time.perf_counter()
    result.update({"floor_faces": floor, "op_s": planned - start, "post_s": done - planned,
                   "gcode": gcode, "commands": len(op.Path.Commands)})
except Exception:
    result["error"] = traceback.format_exc()
with open(OUT, "w") as fh:
    json.dump(result, fh)
'''


def freecad_cmd() -> str:
    path = shutil.which("freecadcmd") or shutil.which("FreeCADCmd")
    if not path:
        raise SystemExit("freecadcmd not found: install the Debian package `freecad`")
    return path


def run_case(case: peer_cases.PeerCase, workdir: pathlib.Path, timeout_s: float) -> dict[str, Any]:
    spec = workdir / f"{case.name}.spec.json"
    out = workdir / f"{case.name}.out.json"
    script = workdir / f"{case.name}.py"
    spec.write_text(json.dumps({"geometry": case.geometry, "setup": peer_cases.setup()}))
    script.write_text(_DRIVER % {"spec": str(spec), "out": str(out), "post_args": POST_ARGS})
    proc = subprocess.run([freecad_cmd(), str(script)], capture_output=True, text=True, timeout=timeout_s,
                          cwd=workdir)
    if not out.exists():
        raise RuntimeError(f"{case.name}: freecadcmd wrote nothing (rc {proc.returncode}): {proc.stderr[-2000:]}")
    data = json.loads(out.read_text())
    if "error" in data:
        raise RuntimeError(f"{case.name}: FreeCAD failed:\n{data['error']}")
    if not data.get("gcode"):
        raise RuntimeError(f"{case.name}: FreeCAD produced no program (floor faces {data.get('floor_faces')})")
    return data


def rs274_motions(program: str) -> dict[str, int]:
    """Traverse and feed calls as LinuxCNC's interpreter reads the program."""
    with tempfile.NamedTemporaryFile("w", suffix=".ngc", delete=False) as fh:
        fh.write(program)
        path = fh.name
    try:
        proc = subprocess.run([RS274, "-g", path], capture_output=True, text=True, timeout=600,
                              input="")
    finally:
        pathlib.Path(path).unlink()
    counts = {"rapids": 0, "feeds": 0, "errors": 0}
    for line in proc.stdout.splitlines():
        if "STRAIGHT_TRAVERSE(" in line:
            counts["rapids"] += 1
        elif "STRAIGHT_FEED(" in line or "ARC_FEED(" in line:
            counts["feeds"] += 1
    if proc.returncode != 0 or "error" in proc.stderr.lower():
        counts["errors"] = 1
    return counts


def measure(case: peer_cases.PeerCase, data: dict[str, Any]) -> dict[str, Any]:
    program = data["gcode"]
    metrics = gcode_metrics.measure(program, rapid_mm_min=gcode_metrics.rapid_rate(),
                                    safe_z_mm=peer_cases.SAFE_Z_MM)
    canon = rs274_motions(program)
    if canon["errors"]:
        raise RuntimeError(f"{case.name}: rs274 refused FreeCAD's program")
    if (canon["rapids"], canon["feeds"]) != (metrics.rapid_moves, metrics.feed_moves):
        raise RuntimeError(f"{case.name}: rs274 read {canon} motions, the metrics parser "
                           f"{metrics.rapid_moves} rapids and {metrics.feed_moves} feeds")
    return {
        "title": case.title,
        "planning_s": round(data["op_s"] + data["post_s"], 3),
        "operation_s": round(data["op_s"], 3),
        "post_s": round(data["post_s"], 3),
        "gcode_bytes": len(program.encode()),
        "retracts": metrics.retracts,
        "estimated_time_s": round(metrics.estimated_time_s, 3),
        "cut_length_mm": round(metrics.cut_length_mm, 3),
        "rapid_length_mm": round(metrics.rapid_length_mm, 3),
        "cut_by_depth_mm": {f"{z:g}": round(length, 3) for z, length in metrics.cut_by_depth_mm},
        "rs274": {"rapids": canon["rapids"], "feeds": canon["feeds"]},
    }


def write_results(version: str | None, cases: dict[str, Any]) -> None:
    result = {
        "freecad_version": version,
        "operation": "Pocket Shape, Offset pattern, climb",
        "post": f"linuxcnc_post {POST_ARGS}",
        "setup": peer_cases.setup(),
        "rapid_mm_min": gcode_metrics.rapid_rate(),
        "cases": {name: cases[name] for name in peer_cases.by_name() if name in cases},
    }
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.freecad_peer")
    parser.add_argument("--only", action="append", help="run only these case names (repeatable); "
                        "the other cases keep their recorded results")
    parser.add_argument("--timeout", type=float, default=3600.0, help="seconds per case")
    parser.add_argument("--keep", type=pathlib.Path, help="also write each FreeCAD program into this folder")
    args = parser.parse_args(argv)
    known = peer_cases.by_name()
    for name in args.only or []:
        if name not in known:
            parser.error(f"unknown case {name!r}; known: {', '.join(known)}")
    previous = json.loads(RESULTS.read_text()) if RESULTS.exists() else {"cases": {}}
    cases = dict(previous.get("cases", {}))
    version = previous.get("freecad_version")
    with tempfile.TemporaryDirectory(prefix="freecad-peer-") as tmp:
        for case in peer_cases.CASES:
            if args.only and case.name not in args.only:
                continue
            print(f"... {case.name}", file=sys.stderr, flush=True)
            data = run_case(case, pathlib.Path(tmp), args.timeout)
            version = data["version"]
            cases[case.name] = measure(case, data)
            if args.keep:
                args.keep.mkdir(parents=True, exist_ok=True)
                (args.keep / f"{case.name}.ngc").write_text(data["gcode"])
            print(f"    {json.dumps(cases[case.name])}", file=sys.stderr, flush=True)
            # Written after every case: a slow case (minutes in FreeCAD) loses nothing measured before it.
            write_results(version, cases)
    print(f"wrote {RESULTS.relative_to(HERE.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
