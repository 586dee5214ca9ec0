"""Bodies and replies of the drawing import routes (`POST /api/rmos/cam/import/dxf|svg`).

The reply's `geometry` is what an intent's pocket or profile operation takes as
its `geometry`, always in millimetres: put it in an intent with `"units": "mm"`.
"""
from __future__ import annotations

from typing import Annotated, Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, model_validator

# Base64 grows a file by a third; API Gateway takes 10 MB and Lambda 6 MB.
IMPORT_MAX_BODY_BYTES = 4 * 1024 * 1024

Tolerance = Annotated[Optional[float], Field(default=None, gt=0, le=1, allow_inf_nan=False)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")

    units: Optional[Literal["mm", "inch"]] = Field(
        default=None, description="Units of a drawing that does not state its own (default mm).")
    tolerance_mm: Tolerance = Field(default=None, description="Curve flattening tolerance, mm (default 0.01).")


class DxfImportBody(_Body):
    """The DXF as text (`dxf`) or as base64 (`dxf_base64`, for binary DXF or odd encodings)."""

    dxf: Optional[str] = Field(default=None, description="The DXF file's text.")
    dxf_base64: Optional[str] = Field(default=None, description="The DXF file, base64-encoded.")
    layer: Optional[str] = Field(default=None, max_length=255,
                                 description="The layer whose outlines to read (default: every layer).")

    @model_validator(mode="after")
    def _one_source(self) -> "DxfImportBody":
        if (self.dxf is None) == (self.dxf_base64 is None):
            raise ValueError("give exactly one of dxf and dxf_base64")
        return self


class SvgImportBody(_Body):
    svg: str = Field(description="The SVG document's text.")


class ImportedGeometryView(BaseModel):
    geometry: dict[str, Any]
    layer: Optional[str]
    source_units: str
    units: Literal["mm"]
    islands: int
    layers: list[str]
