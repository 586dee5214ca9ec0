"""`submit`, `status`, `download`: the CLI over the HTTP API (see luthier/sdk.py).

Each command takes `--api URL` (default: $LUTHIER_CAM_API, else the local
stack's http://127.0.0.1:8001/api) and signs in as `--user`/`--password`
($LUTHIER_CAM_USER/$LUTHIER_CAM_PASSWORD), a machine user in the `integrator`
group. Where to sign in comes from the site's config.json (`--site-config`,
$LUTHIER_CAM_SITE_CONFIG, default the local stack's), or from `--client-id`,
`--region` and `--cognito-endpoint` when given. Exit codes: 0 done, 1 the API refused or could
not be reached (the API's code and message go to stderr), 3 the job failed or
did not finish in time.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from luthier import sdk


def _print_json(data: Any) -> None:
    print(json.dumps(data, indent=2, sort_keys=True))


def _report(exc: sdk.ApiError) -> int:
    print(f"error: {exc}", file=sys.stderr)
    details = exc.details
    if isinstance(details, list):
        for entry in details:
            if isinstance(entry, dict) and "field" in entry:
                print(f"  {entry['field']}: {entry.get('message', '')}", file=sys.stderr)
            elif isinstance(entry, dict) and "path" in entry:
                print(f"  {entry['path']}: {entry.get('message', '')}", file=sys.stderr)
    if isinstance(exc, (sdk.JobFailed, sdk.JobTimeout)):
        return 3
    return 1


def _read_intent(path: str) -> Any:
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise SystemExit(f"error: cannot read {path}: {exc.strerror}") from None
    try:
        return json.loads(text)
    except ValueError as exc:
        raise SystemExit(f"error: {path} is not valid JSON: {exc}") from None


def _auth(args: argparse.Namespace) -> sdk.CognitoAuth | None:
    user = args.user or os.environ.get("LUTHIER_CAM_USER")
    if not user:
        return None
    password = args.password or os.environ.get("LUTHIER_CAM_PASSWORD")
    if not password:
        raise SystemExit("error: --user needs a password: --password or LUTHIER_CAM_PASSWORD")
    client_id = args.client_id or os.environ.get("LUTHIER_CAM_CLIENT_ID")
    if client_id:
        region = args.region or os.environ.get("LUTHIER_CAM_REGION")
        if not region:
            raise SystemExit("error: --client-id needs --region (or LUTHIER_CAM_REGION)")
        endpoint = args.cognito_endpoint or os.environ.get("LUTHIER_CAM_COGNITO_ENDPOINT")
        return sdk.CognitoAuth(client_id, region, user, password, endpoint_url=endpoint)
    config = args.site_config or os.environ.get(sdk.CONFIG_ENV) or sdk.DEFAULT_SITE_CONFIG
    return sdk.CognitoAuth.from_site_config(config, user, password)


def _client(args: argparse.Namespace) -> sdk.Client:
    return sdk.Client(args.api, timeout_s=args.http_timeout, auth=_auth(args))


def run_submit(args: argparse.Namespace) -> int:
    try:
        api = _client(args)
        job = api.submit_intent(_read_intent(args.intent))
        if args.wait:
            job = api.wait_for_job(job["job_id"], timeout_s=args.timeout)
    except sdk.ApiError as exc:
        return _report(exc)
    _print_json(job)
    return 0


def run_status(args: argparse.Namespace) -> int:
    try:
        api = _client(args)
        job = api.wait_for_job(args.job_id, timeout_s=args.timeout) if args.wait else api.job(args.job_id)
    except sdk.ApiError as exc:
        return _report(exc)
    _print_json(job)
    return 0


def run_download(args: argparse.Namespace) -> int:
    try:
        api = _client(args)
        if args.wait:
            api.wait_for_job(args.job_id, timeout_s=args.timeout)
        written = api.download_artifacts(args.job_id, args.output)
    except sdk.ApiError as exc:
        return _report(exc)
    for name, path in written.items():
        print(f"{name}\t{path}")
    return 0


def _common(parser: argparse.ArgumentParser, waits: bool) -> None:
    parser.add_argument("--api", default=None, metavar="URL",
                        help=f"API base URL (default ${sdk.API_ENV} or {sdk.DEFAULT_API})")
    parser.add_argument("--user", default=None, help="sign in as this user (default $LUTHIER_CAM_USER)")
    parser.add_argument("--password", default=None,
                        help="the user's password (default $LUTHIER_CAM_PASSWORD; prefer the variable)")
    parser.add_argument("--site-config", default=None, metavar="URL",
                        help=f"the site's config.json naming the sign-in settings (default ${sdk.CONFIG_ENV} "
                             f"or {sdk.DEFAULT_SITE_CONFIG})")
    parser.add_argument("--client-id", default=None, help="Cognito app client id (default $LUTHIER_CAM_CLIENT_ID)")
    parser.add_argument("--region", default=None, help="the user pool's region (default $LUTHIER_CAM_REGION)")
    parser.add_argument("--cognito-endpoint", default=None, metavar="URL",
                        help="Cognito endpoint, for the local emulator (default $LUTHIER_CAM_COGNITO_ENDPOINT)")
    parser.add_argument("--http-timeout", type=float, default=30.0, metavar="S", help="per-request timeout, seconds")
    if waits:
        parser.add_argument("--wait", action="store_true", help="wait until the job is completed or failed")
        parser.add_argument("--timeout", type=float, default=300.0, metavar="S",
                            help="how long --wait waits, seconds (default 300)")


def register(commands: Any) -> None:
    submit = commands.add_parser("submit", help="submit a CamIntentV1 JSON file as a CAM job",
                                 description="POST a CamIntentV1 to /api/rmos/cam/intents and print the job.")
    submit.add_argument("intent", metavar="INTENT.json", help="the intent file ('-' reads stdin)")
    _common(submit, waits=True)
    submit.set_defaults(run=run_submit)

    status = commands.add_parser("status", help="print a CAM job's status, report and download links")
    status.add_argument("job_id", metavar="JOB_ID")
    _common(status, waits=True)
    status.set_defaults(run=run_status)

    download = commands.add_parser("download", help="download a completed job's G-code, report and preview")
    download.add_argument("job_id", metavar="JOB_ID")
    download.add_argument("-o", "--output", required=True, metavar="DIR", help="directory to write the files into")
    _common(download, waits=True)
    download.set_defaults(run=run_download)
