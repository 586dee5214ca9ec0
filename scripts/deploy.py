"""Deploy one stage: `python scripts/deploy.py prod` (or `make deploy STAGE=prod`).

The S3 trigger's bucket name is evaluated when app.py is imported, so the
stage's environment must be exported to the process that runs `chalice deploy`;
this script reads it from .chalice/config.json, deploys, then uploads the web
page with a config.json pointing at the deployed API.
"""
from __future__ import annotations

import json
import os
import pathlib
import shutil
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent


def stage_environment(stage: str) -> dict[str, str]:
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    try:
        return dict(config["stages"][stage]["environment_variables"])
    except KeyError:
        raise SystemExit(f"unknown stage {stage!r}; stages: {', '.join(config['stages'])}") from None


def drop_bytecode() -> None:
    """Chalice zips chalicelib/ as it is on disk; bytecode from test runs (or of moved modules) is not source."""
    for cache in (ROOT / "chalicelib").rglob("__pycache__"):
        shutil.rmtree(cache, ignore_errors=True)


def main(argv: list[str]) -> int:
    stage = argv[1] if len(argv) > 1 else "dev"
    env = {**os.environ, **stage_environment(stage)}
    drop_bytecode()
    bin_dir = pathlib.Path(sys.executable).parent
    subprocess.run([str(bin_dir / "chalice"), "deploy", "--stage", stage], cwd=ROOT, env=env, check=True)
    url = subprocess.run([str(bin_dir / "chalice"), "url", "--stage", stage], cwd=ROOT, env=env,
                         check=True, capture_output=True, text=True).stdout.strip()
    site_bucket = f"luthier-cam-site-{stage}"
    api_base = url.rstrip("/") + "/api"
    import boto3

    s3 = boto3.client("s3")
    for path in (ROOT / "web").rglob("*"):
        if path.is_file() and path.name != "config.json":
            key = path.relative_to(ROOT / "web").as_posix()
            s3.upload_file(str(path), site_bucket, key, ExtraArgs={"ContentType": _content_type(path)})
    s3.put_object(Bucket=site_bucket, Key="config.json", ContentType="application/json",
                  Body=json.dumps({"apiBase": api_base}).encode())
    print(f"API: {api_base}\nSite bucket: s3://{site_bucket}")
    return 0


def _content_type(path: pathlib.Path) -> str:
    return {".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml",
            ".png": "image/png", ".json": "application/json"}.get(path.suffix, "application/octet-stream")


if __name__ == "__main__":
    sys.exit(main(sys.argv))
