"""Cold start: importing app.py in a fresh interpreter, as the API Lambda does."""
from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys
import time

from bench.harness import Row, Sample, spread_text

ROOT = pathlib.Path(__file__).resolve().parent.parent
PROBE = ("import sys, json; {stmt}; "
         "print(json.dumps(sorted(m for m in ('shapely', 'numpy', 'ezdxf', 'boto3', 'pydantic') if m in sys.modules)))")


def _fresh_import(stmt: str) -> tuple[float, list[str]]:
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "0"}
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", PROBE.format(stmt=stmt)], cwd=ROOT, env=env,
                         check=True, capture_output=True, text=True).stdout
    return time.perf_counter() - start, json.loads(out.strip().splitlines()[-1])


def run(runs: int = 15) -> list[Row]:
    _fresh_import("import app")  # compile bytecode once, as a deployed zip ships it
    app_times: list[float] = []
    boto_times: list[float] = []
    loaded: list[str] = []
    for _ in range(runs):
        elapsed, loaded = _fresh_import("import app")
        app_times.append(elapsed)
        boto_times.append(_fresh_import("import boto3")[0])
    app_s, boto_s = Sample.of(app_times), Sample.of(boto_times)
    heavy = [m for m in loaded if m in ("shapely", "numpy", "ezdxf")]
    ratio = app_s.median / boto_s.median
    return [Row("cold start", "import app (fresh interpreter)", app_s.median, "s", spread_text(app_s, "s"),
                floor=boto_s.median, target="<= 1.5x import boto3", met=ratio <= 1.5 and not heavy,
                note=f"modules loaded by `import app`: {', '.join(loaded) or 'none of the heavy ones'}"
                     + (f"; HEAVY AT LOAD: {', '.join(heavy)}" if heavy else ""),
                extra={"loaded": loaded, "boto3_spread": spread_text(boto_s, "s")})]
