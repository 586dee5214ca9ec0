"""Package size: the Lambda zip Chalice builds for the dev stage, and its dependency layer.

With `automatic_layer` Chalice puts requirements.txt in a layer of its own
(layer-deployment.zip) and the function zip holds only the app; both are
measured, against Lambda's own limits for the layer.
"""
from __future__ import annotations

import collections
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile

from bench.harness import Row

ROOT = pathlib.Path(__file__).resolve().parent.parent
LIMIT_BYTES = 30 * 1000 * 1000
# Lambda: a zip uploaded directly is at most 50 MB; function and layers unzipped at most 250 MB.
LAYER_LIMIT_BYTES = 50 * 1000 * 1000
UNZIPPED_LIMIT_BYTES = 250 * 1000 * 1000
# Developer tools live in luthier/, outside what Chalice zips; none may reach the Lambda.
DEV_ONLY = ("luthier/", "chalicelib/local/", "chalicelib/sdk.py", "chalicelib/cli")


def _clean_copy(dest: pathlib.Path) -> pathlib.Path:
    """The files Chalice packages, without the bytecode tests leave behind.

    Chalice zips chalicelib/ as it finds it, __pycache__ included, so packaging
    the working tree would measure whatever last ran there.
    """
    project = dest / "project"
    project.mkdir()
    skip = shutil.ignore_patterns("__pycache__", "*.pyc", "deployments", "venv")
    shutil.copytree(ROOT / "chalicelib", project / "chalicelib", ignore=skip)
    shutil.copytree(ROOT / ".chalice", project / ".chalice", ignore=skip)
    for name in ("app.py", "requirements.txt"):
        shutil.copy2(ROOT / name, project / name)
    return project


def run() -> list[Row]:
    chalice = pathlib.Path(sys.executable).parent / "chalice"
    env = {**os.environ, "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", "us-east-1")}
    with tempfile.TemporaryDirectory() as out, tempfile.TemporaryDirectory() as src:
        project = _clean_copy(pathlib.Path(src))
        # Terraform output: CloudFormation cannot attach an S3 trigger to an existing bucket.
        proc = subprocess.run([str(chalice), "package", "--pkg-format", "terraform", "--stage", "dev", out],
                              cwd=project, env=env, capture_output=True, text=True)
        zip_path = pathlib.Path(out) / "deployment.zip"
        if proc.returncode != 0 or not zip_path.exists():
            return [Row("package", "lambda zip", float("nan"), "B", target="<= 30 MB", met=False,
                        note="chalice package failed: " + (proc.stderr or proc.stdout)[-300:])]
        size = zip_path.stat().st_size
        by_top: collections.Counter[str] = collections.Counter()
        dev_only: list[str] = []
        unzipped = 0
        layer_path = pathlib.Path(out) / "layer-deployment.zip"
        layer_size = layer_path.stat().st_size if layer_path.exists() else 0
        for path in (zip_path, layer_path) if layer_size else (zip_path,):
            with zipfile.ZipFile(path) as zf:
                for info in zf.infolist():
                    # Layer entries sit under python/; name them by their package either way.
                    name = re.sub(r"^python/(lib/python[0-9.]+/site-packages/)?", "", info.filename)
                    by_top[name.split("/", 1)[0]] += info.compress_size
                    unzipped += info.file_size
                    if path == zip_path and info.filename.startswith(DEV_ONLY):
                        dev_only.append(info.filename)
    missing = "Could not install dependencies" in proc.stdout + proc.stderr
    biggest = ", ".join(f"{name} {n / 1e6:.1f} MB" for name, n in by_top.most_common(4))
    app_code = by_top["chalicelib"] + by_top["app.py"]
    rows = [Row("package", "lambda zip (chalice package)", size, "B", target="<= 30 MB",
                met=size <= LIMIT_BYTES and not missing,
                note=f"largest compressed parts (function and layer): {biggest}"
                + ("; SOME DEPENDENCIES MISSING" if missing else ""))]
    if layer_size:
        rows.append(Row("package", "dependency layer zip (automatic_layer)", layer_size, "B", target="<= 50 MB",
                        met=layer_size <= LAYER_LIMIT_BYTES,
                        note=f"function and layer unzipped: {unzipped / 1e6:.1f} MB of Lambda's 250 MB"))
    return rows + [
            Row("package", "app code in the zip (app.py + chalicelib)", app_code, "B", target="no dev-only code",
                met=not dev_only,
                note="dev-only files zipped: " + ", ".join(dev_only[:5]) if dev_only else "no SDK, CLI or local stack")]
