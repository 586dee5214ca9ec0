"""`plan`: CamIntentV1 JSON file (or a DXF/SVG drawing) -> G-code, report and preview, offline.

Needs no AWS at all (and imports nothing that would): the pipeline is pure.
With `--dxf FILE --layer NAME` (or `--svg-in FILE`) the intent is made here:
the drawing's outline and islands become one pocket or profile operation.
Exit status: 0 on success, 2 when the intent is invalid or cannot be made
(each issue printed as `path: message`), 1 when a file cannot be read/written.
"""
from __future__ import annotations

import argparse
import json
import pathlib
import sys
from typing import Any

EXIT_REJECTED = 2


def register(commands: Any) -> None:
    p = commands.add_parser("plan", help="plan a CamIntentV1 JSON file into G-code, offline",
                            description=__doc__.splitlines()[0])
    p.add_argument("intent", nargs="?", help="CamIntentV1 JSON file ('-' for stdin); omit with --dxf/--svg-in")
    drawing = p.add_argument_group("plan a drawing instead of an intent file")
    drawing.add_argument("--dxf", metavar="FILE", help="DXF drawing whose closed outlines to cut")
    drawing.add_argument("--svg-in", metavar="FILE", help="SVG drawing whose closed paths to cut")
    drawing.add_argument("--layer", help="DXF layer to read (default: every layer)")
    drawing.add_argument("--operation", choices=["pocket", "profile"], default="pocket")
    drawing.add_argument("--depth", type=float, metavar="MM", help="cut depth, in the drawing's --units")
    drawing.add_argument("--side", choices=["inside", "outside", "on"], default="outside",
                         help="profile side (default: outside)")
    drawing.add_argument("--units", choices=["mm", "inch"], default="mm",
                         help="units of --depth and --tool-diameter, and of a drawing that does not say")
    drawing.add_argument("--tool-diameter", type=float, metavar="D", help="bit diameter (a catalogue bit)")
    drawing.add_argument("--profile", dest="profile_id", help="catalogue profile id (docs/cam-profiles.md)")
    drawing.add_argument("--material", dest="material_id", help="catalogue material id")
    p.add_argument("--post", choices=["grbl", "linuxcnc"], default=None,
                   help="controller dialect (default: the intent's options.post, else the machine's)")
    p.add_argument("-o", "--output", help="G-code file to write (default: stdout)")
    p.add_argument("--report", help="write report.json here")
    p.add_argument("--svg", help="write preview.svg here")
    p.set_defaults(run=run)


def _read_intent(source: str) -> Any:
    text = sys.stdin.read() if source == "-" else pathlib.Path(source).read_text(encoding="utf-8")
    return json.loads(text)


def run(args: argparse.Namespace) -> int:
    drawing = args.dxf or args.svg_in
    if bool(drawing) == bool(args.intent):
        print("error: give either an intent file or --dxf/--svg-in FILE", file=sys.stderr)
        return EXIT_REJECTED
    if drawing:
        return _plan_drawing(args)
    try:
        raw = _read_intent(args.intent)
    except OSError as exc:
        print(f"error: cannot read {args.intent}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        print(f"error: {args.intent} is not valid JSON: {exc}", file=sys.stderr)
        return EXIT_REJECTED
    return _plan(raw, args)


def drawing_intent(geometry: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    """A one-operation router intent (mm) cutting `geometry` as the flags say."""
    scale = 25.4 if args.units == "inch" else 1.0
    op: dict[str, Any] = {"operation": args.operation, "geometry": geometry, "depth_mm": args.depth * scale}
    if args.operation == "profile":
        op["side"] = args.side
    if args.tool_diameter is not None:
        op["tool_diameter_mm"] = args.tool_diameter * scale
    intent: dict[str, Any] = {"mode": "router_3axis", "units": "mm", "design": op}
    if args.profile_id:
        intent["options"] = {"profile_id": args.profile_id}
    if args.material_id:
        intent["material_id"] = args.material_id
    return intent


def _plan_drawing(args: argparse.Namespace) -> int:
    from chalicelib.contracts.errors import DomainError

    if args.depth is None:
        print("error: --depth is required when planning a drawing", file=sys.stderr)
        return EXIT_REJECTED
    source = args.dxf or args.svg_in
    try:
        data = pathlib.Path(source).read_bytes()
    except OSError as exc:
        print(f"error: cannot read {source}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    try:
        if args.dxf:
            from chalicelib.rmos.cam.importers.dxf import read_dxf

            imported = read_dxf(data, layer=args.layer, units=args.units)
        else:
            from chalicelib.rmos.cam.importers.svg import read_svg

            imported = read_svg(data, units=args.units)
    except DomainError as exc:
        for issue in exc.issues:
            print(f"error: {source}: {issue.path}: {issue.message}", file=sys.stderr)
        return EXIT_REJECTED
    print(f"read {source}: an outline with {imported.islands} island(s), drawn in {imported.source_units}",
          file=sys.stderr)
    return _plan(drawing_intent(imported.geometry, args), args)


def _plan(raw: Any, args: argparse.Namespace) -> int:
    from chalicelib.rmos.cam.pipeline import plan_intent
    from chalicelib.rmos.cam.toolpath import PlanningError
    from chalicelib.rmos.cam.work import WorkTooLarge

    try:
        result = plan_intent(raw, post=args.post)
    except PlanningError as exc:
        print(f"error: the intent cannot be planned ({len(exc.issues)} issue(s)):", file=sys.stderr)
        for issue in exc.issues:
            print(f"  {issue.path or '(intent)'}: {issue.message}", file=sys.stderr)
        return EXIT_REJECTED
    except WorkTooLarge as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return EXIT_REJECTED
    try:
        if args.output and args.output != "-":
            pathlib.Path(args.output).write_text(result.program, encoding="ascii")
        else:
            sys.stdout.write(result.program)
        if args.report:
            pathlib.Path(args.report).write_text(json.dumps(result.report, indent=2) + "\n", encoding="utf-8")
        if args.svg:
            pathlib.Path(args.svg).write_text(result.preview_svg, encoding="utf-8")
    except OSError as exc:
        print(f"error: cannot write output: {exc}", file=sys.stderr)
        return 1
    totals = result.report["totals"]
    print(f"planned {totals['moves']} moves, {totals['cut_length_mm']:.1f} mm of cutting, "
          f"about {totals['estimated_time_s'] / 60:.1f} min ({result.post}, {result.units})", file=sys.stderr)
    return 0
