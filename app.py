"""Luthier CAM Bridge: the API Lambda and the S3-triggered CAM worker.

Routes live in blueprints; this file only wires them together.
"""
from typing import Any

from chalice import Chalice, Rate
from chalice.app import CloudWatchEvent, S3Event

from chalicelib import config, logs, openapi
from chalicelib.art_studio.routes import bp as art_studio_routes
from chalicelib.http import api_route, error_middleware
from chalicelib.rmos.cam.import_routes import bp as cam_import_routes
from chalicelib.rmos.cam.routes import bp as cam_routes

if config.deployed():  # the local stack and tests keep their own log format
    logs.setup()
app = Chalice(app_name="luthier-cam-bridge")
app.register_middleware(error_middleware, "http")
app.register_middleware(logs.http_context, "http")
app.register_blueprint(art_studio_routes, url_prefix="/api/art/design-first-workflow")
app.register_blueprint(cam_routes, url_prefix="/api/rmos/cam")
app.register_blueprint(cam_import_routes, url_prefix="/api/rmos/cam")


@api_route(app, openapi.HEALTH_PATH, methods=["GET"], public=True)
def health() -> dict[str, str]:
    return {"status": "ok"}


@api_route(app, openapi.OPENAPI_PATH, methods=["GET"], public=True)
def openapi_document() -> dict[str, object]:
    return openapi.document()


@app.on_s3_event(bucket=config.requests_bucket(), prefix="requests/", suffix=".json",
                 events=["s3:ObjectCreated:*"])
def cam_worker(event: S3Event) -> None:
    from chalicelib.rmos.cam.worker import handle_object

    handle_object(event.bucket, event.key)


# Chalice cannot import chalicelib.rmos.cam.reconcile here without loading the
# worker on every API cold start, so the period is written out; a test holds
# it equal to reconcile.PERIOD_MINUTES.
@app.schedule(Rate(5, unit=Rate.MINUTES))
def reconciler(event: CloudWatchEvent) -> dict[str, Any]:
    """Heal half-written promotions, then re-drive or fail stuck CAM jobs."""
    from chalicelib.art_studio.reconcile import repair_pending
    from chalicelib.rmos.cam.reconcile import reconcile_jobs

    summary = {"promotions": repair_pending(), "jobs": reconcile_jobs()}
    app.log.info("reconciler pass", extra={"summary": summary})
    return summary
