"""Start, run and stop the local stack; `main()` is `python -m luthier.local`."""
from __future__ import annotations

import argparse
import importlib
import json
import logging
import os
import signal
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from luthier.local.ports import NotLoopback, PortInUse, check_free, require_loopback

log = logging.getLogger("luthier_cam.local")

REPO_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    web_port: int = 8000
    api_port: int = 8001
    aws_port: int = 5001
    data_dir: Path = Path(".local-data")
    fresh: bool = False
    workers: int = 4

    @property
    def _url_host(self) -> str:
        return f"[{self.host}]" if ":" in self.host else self.host

    @property
    def site_origin(self) -> str:
        return f"http://{self._url_host}:{self.web_port}"

    @property
    def api_base(self) -> str:
        # Ends with the "/api" prefix all routes share, like the deployed site's config.json.
        return f"http://{self._url_host}:{self.api_port}/api"

    @property
    def aws_endpoint(self) -> str:
        return f"http://{self._url_host}:{self.aws_port}"


def _counted(value: str, name: str, top: int, what: str) -> int:
    """`value` as a whole number from 1 to `top`, or a message naming the setting."""
    try:
        number = int(value)
    except ValueError:
        raise SystemExit(f"error: {name}={value!r} is not {what}") from None
    if not 1 <= number <= top:
        raise SystemExit(f"error: {name}={number} is outside 1-{top}")
    return number


def _port(value: str, name: str) -> int:
    return _counted(value, name, 65535, "a port number")


def _workers(value: str) -> int:
    return _counted(value, "LOCAL_WORKERS", 64, "a number")


def worker_timeout_s(stage: str = "dev") -> int:
    """The cam_worker Lambda's timeout for the stage, as `chalice deploy` would set it."""
    chalice = json.loads((REPO_ROOT / ".chalice" / "config.json").read_text())
    settings = chalice.get("stages", {}).get(stage, {})
    function = settings.get("lambda_functions", {}).get("cam_worker", {})
    # Chalice's own default when no level names a timeout.
    return int(function.get("lambda_timeout") or settings.get("lambda_timeout") or chalice.get("lambda_timeout")
               or 60)


def fail_timed_out_job(record: dict[str, Any], timeout_s: float) -> None:
    """End a CAM job whose invocation hit the timeout as `failed`, so nobody waits on it."""
    from urllib.parse import unquote_plus

    from chalicelib.contracts.jobs import parse_request_key
    from chalicelib.rmos.cam.jobs import JobFinished, JobNotFound, JobStore

    parsed = parse_request_key(unquote_plus(record.get("s3", {}).get("object", {}).get("key", "")))
    if parsed is None:
        return
    _, job_id = parsed
    try:
        JobStore().fail(job_id, f"the CAM worker ran past its {timeout_s:g} s time limit and was stopped; "
                                "split the job or simplify the design and submit it again")
    except (JobFinished, JobNotFound):
        log.info("job %s ended on its own at the time limit", job_id)


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


def parse_settings(argv: list[str] | None, environ: dict[str, str] | os._Environ[str]) -> Settings:
    parser = argparse.ArgumentParser(
        prog="python -m luthier.local",
        description="Run Luthier CAM Bridge on loopback: emulated AWS, the API, the web page and the CAM worker.")
    parser.add_argument("--host", default=environ.get("HOST", "127.0.0.1"),
                        help="loopback address to listen on (env HOST, default 127.0.0.1)")
    parser.add_argument("--web-port", default=environ.get("WEB_PORT", "8000"), help="web page port (env WEB_PORT)")
    parser.add_argument("--api-port", default=environ.get("API_PORT", "8001"), help="API port (env API_PORT)")
    parser.add_argument("--aws-port", default=environ.get("AWS_PORT", "5001"),
                        help="emulated AWS (moto) port (env AWS_PORT)")
    parser.add_argument("--data-dir", default=environ.get("LOCAL_DATA_DIR") or ".local-data",
                        help="where the data is kept between runs (env LOCAL_DATA_DIR, default .local-data)")
    parser.add_argument("--fresh", action="store_true", default=_truthy(environ.get("LOCAL_FRESH")),
                        help="discard the kept data and start empty (env LOCAL_FRESH=1; make run FRESH=1)")
    parser.add_argument("--workers", default=environ.get("LOCAL_WORKERS", "4"),
                        help="CAM jobs run at once, like concurrent Lambda invocations (env LOCAL_WORKERS, default 4)")
    # Keeping the data is the default now; the old flag is accepted so existing scripts still start.
    parser.add_argument("--keep-data", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    try:
        host = require_loopback(args.host)
    except NotLoopback as exc:
        raise SystemExit(f"error: {exc}") from None
    return Settings(host=host, web_port=_port(args.web_port, "WEB_PORT"), api_port=_port(args.api_port, "API_PORT"),
                    aws_port=_port(args.aws_port, "AWS_PORT"), data_dir=Path(args.data_dir).absolute(),
                    fresh=args.fresh, workers=_workers(args.workers))


def stack_environment(settings: Settings) -> dict[str, str]:
    """What the app, the worker and boto3 read, pointed at this stack."""
    return {
        "AWS_ENDPOINT_URL": settings.aws_endpoint,
        # Fixed dummy credentials: every client talks to the emulator, never to a real account.
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION") or "us-east-1",
        "SITE_ORIGIN": settings.site_origin,
    }


def load_app_module() -> Any:
    """app.py, imported only after the environment is set (it reads the bucket name at import)."""
    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))
    return importlib.import_module("app")


# socketserver's default of 5 refuses (resets) connections in a burst of page loads and scripts.
LISTEN_BACKLOG = 256


def per_thread_requests(app: Any) -> Any:
    """Give each server thread its own `app.current_request`.

    Chalice keeps the request being handled in an attribute of the app object;
    Lambda runs one request per container, but the local server runs one thread
    per connection, and two requests at once would read each other's body.
    """
    base = type(app)
    if getattr(base, "_per_thread_requests", False):
        return app
    state = threading.local()

    def slot(name: str) -> property:
        return property(lambda self: getattr(state, name, None), lambda self, value: setattr(state, name, value))

    per_thread = type(base.__name__, (base,), {"_per_thread_requests": True,
                                                "current_request": slot("current_request"),
                                                "lambda_context": slot("lambda_context")})
    for name in ("current_request", "lambda_context"):
        app.__dict__.pop(name, None)
    app.__class__ = per_thread
    return app


def start_api(app: Any, host: str, port: int) -> Callable[[], None]:
    """Host the Chalice app object with Chalice's local server in a thread; return its stop function."""
    from chalice.config import Config
    from chalice.local import LocalDevServer, ThreadedHTTPServer

    class Server(ThreadedHTTPServer):
        request_queue_size = LISTEN_BACKLOG
        daemon_threads = True

    config = Config.create(chalice_stage="dev", app_name=app.app_name, chalice_app=app,
                           lambda_timeout=29, lambda_memory_size=512, project_dir=str(REPO_ROOT))
    server = LocalDevServer(per_thread_requests(app), config, host, port, server_cls=Server)
    server.server.daemon_threads = True
    thread = threading.Thread(target=server.server.serve_forever, name="api", daemon=True)
    thread.start()

    def stop() -> None:
        server.shutdown()
        server.server.server_close()
        thread.join(5)

    return stop


def moto_app() -> Any:
    """moto's WSGI application, the one its own server runs, with its service lookup remembered.

    moto finds the service of every request by listing its own package folder
    and trying each service's URL patterns, about a millisecond spent under one
    lock shared by all of the server's threads. The answer for a host never
    changes while the process runs, so the stack keeps it.
    """
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    class RememberingDispatcher(DomainDispatcherApplication):
        def __init__(self, create_app: Any) -> None:
            super().__init__(create_app)
            self._backends: dict[str | None, Any] = {}

        def get_backend_for_host(self, host: str | None) -> Any:
            # moto calls this under its own lock, so the dict needs none; a Host header can be
            # anything, so only hosts that name a service are kept.
            if host in self._backends:
                return self._backends[host]
            backend = super().get_backend_for_host(host)
            if backend and len(self._backends) < 256:
                self._backends[host] = backend
            return backend

    return RememberingDispatcher(create_backend_app)


# Threads serving the emulator. Each AWS call holds one only while moto answers it, and the
# event pump's SQS long poll holds one for up to a second; 16 leaves room for that beside an
# API burst and the running CAM jobs, whose calls queue briefly if all are busy.
EMULATOR_THREADS = 16


def start_wsgi(wsgi_app: Any, host: str, port: int, name: str) -> Callable[[], None]:
    """Serve a WSGI app with waitress on a fixed pool of threads; return its stop function.

    Unlike werkzeug's development server, which closes every connection after one
    answer, waitress keeps them open: the API's and the worker's boto3 clients
    reuse their pooled connections instead of opening one (and the server a new
    thread) for every call.
    """
    from waitress import wasyncore
    from waitress.server import create_server

    server = create_server(wsgi_app, host=host, port=port, threads=EMULATOR_THREADS, backlog=LISTEN_BACKLOG,
                           connection_limit=1000, channel_timeout=120, ident="luthier-local-aws")
    thread = threading.Thread(target=server.run, name=name, daemon=True)
    thread.start()

    def close_everything() -> None:
        # In the server's own loop: the listener and every kept-alive connection, so run() returns.
        wasyncore.close_all(server._map)

    def stop() -> None:
        server.task_dispatcher.shutdown(timeout=2)
        server.trigger.pull_trigger(close_everything)
        thread.join(5)

    return stop


def start_reconciler(period_s: float) -> Callable[[], None]:
    """What `app.reconciler`'s schedule does in AWS, on a timer: heal promotions, re-drive stuck jobs."""
    import threading

    stopping = threading.Event()

    def loop() -> None:
        from chalicelib.art_studio.reconcile import repair_pending
        from chalicelib.rmos.cam.reconcile import reconcile_jobs

        while not stopping.wait(period_s):
            for step in (repair_pending, reconcile_jobs):  # one failing must not starve the other
                try:
                    step()
                except Exception:
                    log.exception("reconciler step %s failed; trying again in %s s", step.__name__, period_s)

    thread = threading.Thread(target=loop, name="reconciler", daemon=True)
    thread.start()

    def stop() -> None:
        stopping.set()
        thread.join(timeout=10)

    return stop


class LocalStack:
    def __init__(self, settings: Settings, app: Any | None = None,
                 handler: Callable[[dict[str, Any], Any], Any] | None = None) -> None:
        self.settings = settings
        self._app = app
        self._handler = handler
        self._stoppers: list[Callable[[], None]] = []
        self.pump: Any = None
        self.restored: dict[str, int] = {}
        self.identity: Any = None

    def check_ports(self) -> None:
        s = self.settings
        for port, name in ((s.aws_port, "AWS_PORT"), (s.api_port, "API_PORT"), (s.web_port, "WEB_PORT")):
            check_free(s.host, port, name)
        if len({s.aws_port, s.api_port, s.web_port}) < 3:
            raise SystemExit("error: WEB_PORT, API_PORT and AWS_PORT must be three different ports")

    def start(self) -> None:
        self.check_ports()
        try:
            self._start()
        except BaseException:
            self.stop()
            raise

    def _start(self) -> None:
        from chalicelib import aws, config
        from chalicelib.storage.provision import create_resources
        from luthier.local.journal import JournallingApp
        from luthier.local.pump import EventPump, connect_bucket_to_queue
        from luthier.local.site import SiteServer
        from luthier.local.snapshot import DataStore

        s = self.settings
        for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
            os.environ.pop(name, None)
        os.environ.update(stack_environment(s))
        aws.reset()

        emulator = JournallingApp(moto_app())
        self._stoppers.append(start_wsgi(emulator, s.host, s.aws_port, "moto"))

        self.identity = self._provision_identity()

        create_resources()
        buckets = [config.requests_bucket(), config.artifacts_bucket()]
        store = DataStore(s.data_dir, emulator, aws.dynamodb(), aws.s3(), config.table_name(), buckets)
        if s.fresh:
            store.wipe()
        # Restored before the notifications are connected: kept requests are not run again.
        self.restored = store.open()
        log.info("data in %s: restored %s", s.data_dir, self.restored)
        self._stoppers.append(store.close)

        import boto3
        from botocore.config import Config

        sqs = boto3.session.Session().client("sqs", config=Config(max_pool_connections=aws.MAX_POOL_CONNECTIONS))
        timeout_s = worker_timeout_s()
        queue_url = connect_bucket_to_queue(aws.s3(), sqs, config.requests_bucket(), timeout_s=timeout_s)

        app, handler = self._app, self._handler
        if app is None or handler is None:
            module = load_app_module()
            app = app if app is not None else module.app
            # The Lambda entry point Chalice builds for the S3 event: called as (event, context).
            handler = handler if handler is not None else module.cam_worker
        self.pump = EventPump(sqs, queue_url, handler, concurrency=s.workers, timeout_s=timeout_s,
                              on_timeout=fail_timed_out_job)
        self.pump.start()
        self._stoppers.append(self.pump.stop)
        self._stoppers.append(start_reconciler(float(os.environ.get("LOCAL_RECONCILE_SECONDS", "60"))))

        self._stoppers.append(start_api(app, s.host, s.api_port))

        site = SiteServer(s.host, s.web_port, s.api_base, cognito=self.site_cognito())
        site.start()
        self._stoppers.append(site.stop)

    def _provision_identity(self) -> Any:
        """The user pool, app client and users, with the ids kept in the data folder; the API trusts it."""
        import boto3

        from luthier.local.identity import provision

        s = self.settings
        s.data_dir.mkdir(parents=True, exist_ok=True)
        identity = provision(lambda region: boto3.client("cognito-idp", region_name=region), s.data_dir,
                             os.environ["AWS_DEFAULT_REGION"])
        os.environ.update(identity.environment(s.aws_endpoint))
        return identity

    def site_cognito(self) -> dict[str, str]:
        """Where the page signs in: the emulator's Cognito, the region and the app client."""
        return {"endpoint": self.settings.aws_endpoint, "region": self.identity.region,
                "clientId": self.identity.client_id}

    def stop(self) -> None:
        while self._stoppers:
            stopper = self._stoppers.pop()
            try:
                stopper()
            except Exception:
                log.exception("stopping a part of the local stack failed")


def _quiet_emulator_logs() -> None:
    for name in ("werkzeug", "moto", "botocore", "urllib3", "waitress"):
        logging.getLogger(name).setLevel(logging.WARNING)
    # "Task queue depth is N": calls waiting for a free emulator thread during a burst, which is expected.
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)


def sign_in_lines(identity: Any, data_dir: Path) -> str:
    """The users of the local pool with their passwords, for the start-up banner."""
    lines = [f"  sign in (user pool {identity.pool_id}; passwords kept in {data_dir / 'identity.json'}):"]
    for user in identity.users:
        lines.append(f"    {user.username:<12} {user.password:<24} {', '.join(user.groups) or '(no group)'}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    return serve(parse_settings(argv, os.environ))


def serve(settings: Settings, app: Any | None = None,
          handler: Callable[[dict[str, Any], Any], Any] | None = None) -> int:
    """Run until SIGINT/SIGTERM/SIGHUP, then stop everything; the exit status."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    _quiet_emulator_logs()
    stack = LocalStack(settings, app=app, handler=handler)
    stop = threading.Event()

    def request_stop(signum: int, frame: Any) -> None:
        stop.set()

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, request_stop)
    try:
        stack.start()
    except PortInUse as exc:
        print(f"error: {exc}", file=sys.stderr, flush=True)
        return 2
    restored = stack.restored
    data_note = ("started empty (FRESH)" if settings.fresh
                 else f"restored {restored.get('items', 0)} items, {restored.get('objects', 0)} objects")
    print(f"Luthier CAM Bridge is running\n"
          f"  data:      {settings.data_dir} ({data_note}; kept across restarts, "
          "make run FRESH=1 starts empty)\n"
          f"  web page:  {settings.site_origin}/\n"
          f"  API base:  {settings.api_base}\n"
          f"  AWS (moto): {settings.aws_endpoint}\n"
          f"{sign_in_lines(stack.identity, settings.data_dir)}"
          "Press Ctrl-C to stop.", flush=True)
    try:
        while not stop.wait(0.5):
            pass
    finally:
        print("Stopping...", flush=True)
        stack.stop()
        print("Stopped.", flush=True)
    return 0
