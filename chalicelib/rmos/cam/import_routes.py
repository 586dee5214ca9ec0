"""Drawing import routes (prefix /api/rmos/cam): a DXF or SVG becomes an intent's geometry.

The readers (ezdxf, svgelements) are imported inside the handlers: only these
routes need them, and a cold start serving anything else stays light.
"""
from __future__ import annotations

import base64
import binascii
from typing import Any

from chalice import Blueprint

from chalicelib.contracts.drawing_import import IMPORT_MAX_BODY_BYTES, DxfImportBody, SvgImportBody
from chalicelib.contracts.errors import Issue
from chalicelib.http import api_route, invalid, json_body, parse_model

bp = Blueprint(__name__)


def _dxf_bytes(body: DxfImportBody) -> bytes:
    if body.dxf is not None:
        return body.dxf.encode("utf-8")
    try:
        return base64.b64decode(body.dxf_base64 or "", validate=True)
    except (binascii.Error, ValueError):
        raise invalid([Issue("invalid_value", "not valid base64", "dxf_base64")]) from None


@api_route(bp, "/import/dxf", methods=["POST"], action="plan")
def import_dxf() -> Any:
    body = parse_model(DxfImportBody, json_body(bp.current_request, max_bytes=IMPORT_MAX_BODY_BYTES))
    from chalicelib.rmos.cam.importers.dxf import read_dxf
    from chalicelib.rmos.cam.importers.loops import DEFAULT_TOLERANCE_MM

    imported = read_dxf(_dxf_bytes(body), layer=body.layer, units=body.units,
                        tolerance_mm=body.tolerance_mm or DEFAULT_TOLERANCE_MM)
    return imported.as_dict()


@api_route(bp, "/import/svg", methods=["POST"], action="plan")
def import_svg() -> Any:
    body = parse_model(SvgImportBody, json_body(bp.current_request, max_bytes=IMPORT_MAX_BODY_BYTES))
    from chalicelib.rmos.cam.importers.loops import DEFAULT_TOLERANCE_MM
    from chalicelib.rmos.cam.importers.svg import read_svg

    imported = read_svg(body.svg.encode("utf-8"), units=body.units,
                        tolerance_mm=body.tolerance_mm or DEFAULT_TOLERANCE_MM)
    return imported.as_dict()
