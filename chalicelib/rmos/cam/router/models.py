"""The `router_3axis` design payload: pocket, profile and drill operations.

Validation here is structural (types, ranges, sizes); whether a shape can be
cut with a given tool is decided when planning, where the tool is known.
Lengths are marked `LENGTH` so an inch intent converts by annotation alone.
"""
from __future__ import annotations

from typing import Annotated, Any, Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, StrictBool, StrictInt, TypeAdapter, ValidationError, \
    field_validator, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from chalicelib.rmos.cam.units import LENGTH

MAX_OPERATIONS = 50
MAX_POLYLINE_POINTS = 50_000
MAX_TOTAL_POINTS = 100_000
MAX_ISLANDS = 200
MAX_HOLES = 10_000
MAX_DEPTH_MM = 100.0
MAX_COORD_MM = 100_000.0
# tan(sweep / 4): 1 is a half circle; 100 is a sweep of about 357.7 degrees.
MAX_BULGE = 100.0

# Strict so that true/"1.5" are refused rather than read as numbers; ints pass.
Number = Annotated[float, Field(strict=True, allow_inf_nan=False)]
Coord = Annotated[float, Field(strict=True, allow_inf_nan=False, ge=-MAX_COORD_MM, le=MAX_COORD_MM)]
Positive = Annotated[float, Field(strict=True, allow_inf_nan=False, gt=0, le=MAX_COORD_MM)]
Point = tuple[Coord, Coord]
# Unitless (the tangent of a quarter of the sweep), so never marked LENGTH.
Bulge = Annotated[float, Field(strict=True, allow_inf_nan=False, ge=-MAX_BULGE, le=MAX_BULGE)]
Depth = Annotated[float, Field(strict=True, allow_inf_nan=False, gt=0, le=MAX_DEPTH_MM), LENGTH]
# Optional lengths carry LENGTH outside the Optional so unit conversion sees them.
ToolDiameter = Annotated[Optional[Annotated[float, Field(strict=True, allow_inf_nan=False, gt=0, le=100)]], LENGTH]
Allowance = Annotated[Optional[Annotated[float, Field(strict=True, allow_inf_nan=False, ge=0, le=50)]], LENGTH]
PeckLength = Annotated[Optional[Positive], LENGTH]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PolylineGeometry(_Strict):
    """A closed boundary; `islands` are closed outlines inside it left standing."""

    type: Literal["polyline"]
    points: Annotated[list[Point], Field(min_length=2, max_length=MAX_POLYLINE_POINTS), LENGTH]
    islands: Annotated[
        list[Annotated[list[Point], Field(min_length=2, max_length=MAX_POLYLINE_POINTS)]],
        Field(max_length=MAX_ISLANDS),
        LENGTH,
    ] = []

    # DXF LWPOLYLINE bulges: bulges[i] = tan(sweep / 4) of the piece from point i
    # to point i + 1 (the last one closes the outline); + is counter-clockwise.
    bulges: Optional[list[Bulge]] = None
    island_bulges: Optional[Annotated[list[Optional[list[Bulge]]], Field(max_length=MAX_ISLANDS)]] = None

    @field_validator("islands")
    @classmethod
    def _total_points(cls, islands: list[Any], info: Any) -> list[Any]:
        total = len(info.data.get("points") or []) + sum(len(i) for i in islands)
        if total > MAX_TOTAL_POINTS:
            raise ValueError(f"boundary and islands together have {total} points; at most {MAX_TOTAL_POINTS}")
        return islands

    @model_validator(mode="after")
    def _bulges_fit_points(self) -> "PolylineGeometry":
        """Bulge lists match their outlines; two points make an outline only with an arc."""
        errors: list[InitErrorDetails] = []

        def fail(loc: tuple[Any, ...], value: Any, message: str) -> None:
            errors.append(InitErrorDetails(type=PydanticCustomError("value_error", message), loc=loc, input=value))

        if self.island_bulges is not None and len(self.island_bulges) != len(self.islands):
            fail(("island_bulges",), self.island_bulges,
                 f"{len(self.island_bulges)} entries for {len(self.islands)} islands; "
                 "give one list (or null) per island")
        outlines: list[tuple[list[Any], list[float] | None, tuple[Any, ...], tuple[Any, ...]]] = [
            (list(self.points), self.bulges, ("points",), ("bulges",))]
        for i, pts in enumerate(self.islands):
            given = self.island_bulges[i] if self.island_bulges is not None and i < len(self.island_bulges) else None
            outlines.append((list(pts), given, ("islands", i), ("island_bulges", i)))
        for pts, bulges, points_loc, bulges_loc in outlines:
            if bulges is not None:
                if len(bulges) != len(pts):
                    fail(bulges_loc, bulges, f"{len(bulges)} bulges for {len(pts)} vertices; "
                                             "give one per vertex (0 for a straight piece)")
                    continue
                if tuple(pts[0]) == tuple(pts[-1]) and bulges[-1] != 0:
                    fail(bulges_loc + (len(bulges) - 1,), bulges[-1],
                         "the last vertex repeats the first, so its bulge (on no piece) must be 0")
            if len(pts) < 3 and not any(bulges or []):
                fail(points_loc, pts, "an outline needs at least 3 points, or 2 joined by arcs (bulges)")
        if errors:
            raise ValidationError.from_exception_data(type(self).__name__, errors)
        return self

    @property
    def closed(self) -> bool:
        return tuple(self.points[0]) == tuple(self.points[-1])

    def boundary_bulges(self) -> list[float]:
        return list(self.bulges) if self.bulges is not None else [0.0] * len(self.points)

    def bulges_of_island(self, index: int) -> list[float]:
        given = self.island_bulges[index] if self.island_bulges is not None else None
        return list(given) if given is not None else [0.0] * len(self.islands[index])


class CircleGeometry(_Strict):
    type: Literal["circle"]
    center: Annotated[Point, LENGTH] = (0.0, 0.0)
    radius_mm: Annotated[Positive, LENGTH]


class AnnulusGeometry(_Strict):
    """The ring between two concentric circles: a rosette channel."""

    type: Literal["annulus"]
    center: Annotated[Point, LENGTH] = (0.0, 0.0)
    inner_radius_mm: Annotated[Positive, LENGTH]
    outer_radius_mm: Annotated[Positive, LENGTH]

    @field_validator("outer_radius_mm")
    @classmethod
    def _outer_beyond_inner(cls, value: float, info: Any) -> float:
        inner = info.data.get("inner_radius_mm")
        if inner is not None and value <= inner:
            raise ValueError(f"outer_radius_mm ({value}) must be greater than inner_radius_mm ({inner})")
        return value


Geometry = Annotated[Union[PolylineGeometry, CircleGeometry, AnnulusGeometry], Field(discriminator="type")]


class Tabs(_Strict):
    """Bridges left uncut so a through-cut part stays in the stock."""

    count: Annotated[StrictInt, Field(ge=1, le=64)]
    width_mm: Annotated[Positive, LENGTH]
    height_mm: Annotated[Positive, LENGTH]


class PocketOp(_Strict):
    operation: Literal["pocket"]
    geometry: Geometry
    depth_mm: Depth
    tool_diameter_mm: ToolDiameter = None
    finish_allowance_mm: Allowance = None


class ProfileOp(_Strict):
    operation: Literal["profile"]
    geometry: Geometry
    side: Literal["inside", "outside", "on"]
    depth_mm: Depth
    tabs: Tabs | None = None
    finishing_pass: StrictBool = False
    finish_allowance_mm: Allowance = None
    tool_diameter_mm: ToolDiameter = None


class DrillOp(_Strict):
    operation: Literal["drill"]
    holes: Annotated[list[Point], Field(min_length=1, max_length=MAX_HOLES), LENGTH]
    depth_mm: Depth
    peck_mm: PeckLength = None
    tool_diameter_mm: ToolDiameter = None


Operation = Annotated[Union[PocketOp, ProfileOp, DrillOp], Field(discriminator="operation")]

_OPERATION = TypeAdapter(Operation)
_OP_TAGS = frozenset({"pocket", "profile", "drill"})
_GEOMETRY_TAGS = frozenset({"polyline", "circle", "annulus"})


class RouterDesign(_Strict):
    """One or more operations, run in order."""

    operations: Annotated[list[Operation], Field(min_length=1, max_length=MAX_OPERATIONS)]
    # True when the caller sent {"operations": [...]}: error paths then keep the index.
    _listed: bool = PrivateAttr(default=True)

    @classmethod
    def from_payload(cls, design: Any) -> "RouterDesign":
        """Accept `{"operation": ...}` or `{"operations": [...]}`; raise ValidationError."""
        if isinstance(design, dict) and "operations" in design:
            return cls.model_validate(design)
        made = cls(operations=[_OPERATION.validate_python(design)])
        made._listed = False
        return made

    @property
    def listed(self) -> bool:
        return self._listed

    @staticmethod
    def issue_path(loc: tuple[Any, ...] | list[Any]) -> str:
        """A pydantic error location as a "design.<...>" path in the caller's own form.

        The list form's locations start with "operations"; the single form's start
        at the operation. Union tags that pydantic inserts ("pocket", "circle", ...)
        are dropped so the path names only keys the caller wrote.
        """
        parts = list(loc)
        out: list[str] = []
        i = 0
        if parts[:1] == ["operations"]:
            out.append("operations")
            i = 1
            if i < len(parts) and isinstance(parts[i], int):
                out.append(str(parts[i]))
                i += 1
        if i < len(parts) and parts[i] in _OP_TAGS:
            i += 1
        while i < len(parts):
            out.append(str(parts[i]))
            if parts[i] == "geometry" and i + 1 < len(parts) and parts[i + 1] in _GEOMETRY_TAGS:
                i += 1
            i += 1
        return ".".join(["design", *out])

    def op_path(self, index: int, *fields: Any) -> str:
        """The path of a field of operation `index`, in the form the caller used."""
        loc: list[Any] = ["operations", index, *fields] if self._listed else list(fields)
        return ".".join(["design", *(str(p) for p in loc)])
