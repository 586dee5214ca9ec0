"""`make bench`: every figure next to its floor and target; also bench/results.json."""
from __future__ import annotations

import argparse
import json
import pathlib
import platform
import os
import sys
import time

from bench.harness import Row, render

OUT = pathlib.Path(__file__).resolve().parent / "results.json"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--only", action="append", help="run only these groups (repeatable)")
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    args = parser.parse_args(argv)
    from bench import suites

    started = time.perf_counter()
    rows: list[Row] = []
    for name, run in suites.SUITES:
        if args.only and name not in args.only:
            continue
        print(f"... {name}", file=sys.stderr, flush=True)
        rows += run(args.quick)
    print(render(rows))
    result = {
        "machine": {"python": platform.python_version(), "platform": platform.platform(),
                    "cpus": os.cpu_count()},
        "elapsed_s": round(time.perf_counter() - started, 1),
        "rows": [r.as_dict() for r in rows],
    }
    OUT.write_text(json.dumps(result, indent=2, default=str))
    print(f"\nwrote {OUT.relative_to(OUT.parent.parent)} in {result['elapsed_s']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
