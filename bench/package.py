"""Package size: the Lambda zip Chalice builds for the dev stage."""
from __future__ import annotations

import collections
import os
import pathlib
import subprocess
import sys
import tempfile
import zipfile

from bench.harness import Row

ROOT = pathlib.Path(__file__).resolve().parent.parent
LIMIT_BYTES = 30 * 1000 * 1000


def run() -> list[Row]:
    chalice = pathlib.Path(sys.executable).parent / "chalice"
    env = {**os.environ, "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", "us-east-1")}
    with tempfile.TemporaryDirectory() as out:
        # Terraform output: CloudFormation cannot attach an S3 trigger to an existing bucket.
        proc = subprocess.run([str(chalice), "package", "--pkg-format", "terraform", "--stage", "dev", out],
                              cwd=ROOT, env=env, capture_output=True, text=True)
        zip_path = pathlib.Path(out) / "deployment.zip"
        if proc.returncode != 0 or not zip_path.exists():
            return [Row("package", "lambda zip", float("nan"), "B", target="<= 30 MB", met=False,
                        note="chalice package failed: " + (proc.stderr or proc.stdout)[-300:])]
        size = zip_path.stat().st_size
        by_top: collections.Counter[str] = collections.Counter()
        with zipfile.ZipFile(zip_path) as zf:
            for info in zf.infolist():
                by_top[info.filename.split("/", 1)[0]] += info.compress_size
    missing = "Could not install dependencies" in proc.stdout + proc.stderr
    biggest = ", ".join(f"{name} {n / 1e6:.1f} MB" for name, n in by_top.most_common(4))
    return [Row("package", "lambda zip (chalice package)", size, "B", target="<= 30 MB",
                met=size <= LIMIT_BYTES and not missing,
                note=f"largest compressed parts: {biggest}" + ("; SOME DEPENDENCIES MISSING" if missing else ""))]
