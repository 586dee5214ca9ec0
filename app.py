"""Luthier CAM Bridge: the API Lambda and the S3-triggered CAM worker.

Routes live in blueprints; this file only wires them together.
"""
from chalice import Chalice
from chalice.app import S3Event

from chalicelib import config, openapi
from chalicelib.art_studio.routes import bp as art_studio_routes
from chalicelib.http import api_route, error_middleware
from chalicelib.rmos.cam.routes import bp as cam_routes

app = Chalice(app_name="luthier-cam-bridge")
app.register_middleware(error_middleware, "http")
app.register_blueprint(art_studio_routes, url_prefix="/api/art/design-first-workflow")
app.register_blueprint(cam_routes, url_prefix="/api/rmos/cam")


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
