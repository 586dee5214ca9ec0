"""`plan`: CamIntentV1 JSON file -> G-code, report and preview, offline.

Needs no AWS at all (and imports nothing that would): the pipeline is pure.
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
    p.add_argument("intent", help="CamIntentV1 JSON file ('-' for stdin)")
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
    from chalicelib.rmos.cam.pipeline import plan_intent
    from chalicelib.rmos.cam.toolpath import PlanningError
    from chalicelib.rmos.cam.work import WorkTooLarge

    try:
        raw = _read_intent(args.intent)
    except OSError as exc:
        print(f"error: cannot read {args.intent}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        print(f"error: {args.intent} is not valid JSON: {exc}", file=sys.stderr)
        return EXIT_REJECTED
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
