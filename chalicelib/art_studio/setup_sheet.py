"""The printable set-up sheet of one promoted rosette: what the operator needs at the machine.

It is rendered on request from what the promotion left behind: the immutable
request (profile), the content-addressed design snapshot, the shared CAM
catalogue (bit, machine, material) and, once the job is done, its report and
program. The G-code header lines are quoted from the program itself, so the
sheet and the file can never disagree about the origin. The top view is drawn
in millimetres and prints to scale at 100 %.
"""
from __future__ import annotations

import html
import math
from dataclasses import dataclass
from typing import Any

from chalicelib import config
from chalicelib.art_studio.errors import PromotionRequestNotFound
from chalicelib.contracts import profiles
from chalicelib.contracts.jobs import artifact_key, design_key, job_key, promotion_request_key
from chalicelib.contracts.promotion import CamPromotionRequestV1
from chalicelib.contracts.rosette import RosetteDesignV1
from chalicelib.storage import blobs
from chalicelib.storage.table import Table

# A trim router's collet nut is about 25 mm across: clamps must stay this far
# outside the cut edge, or the nut and the bit's shank will hit them.
CLAMP_CLEARANCE_MM = 15.0
# Width of the band outside the clamp-free circle where clamps or pads go.
CLAMP_BAND_MM = 25.0
SCALE_BAR_MM = 50.0


@dataclass(frozen=True)
class Sheet:
    request: CamPromotionRequestV1
    design: RosetteDesignV1
    profile: dict[str, Any]
    tool: dict[str, Any]
    machine: dict[str, Any]
    material: dict[str, Any]
    status: str
    reason: str | None
    report: dict[str, Any] | None
    header_lines: list[str]
    program_url: str | None

    @property
    def file_name(self) -> str:
        return program_file_name(self.design, self.tool, str(self.profile["post"]))

    @property
    def clamp_free_radius_mm(self) -> float:
        return self.design.outer_diameter_mm / 2 + CLAMP_CLEARANCE_MM

    @property
    def stepdown_mm(self) -> float:
        tool = (self.report or {}).get("tool") or {}
        return float(tool.get("stepdown_mm") or self.profile["stepdown_mm"])

    @property
    def passes(self) -> int:
        return max(1, math.ceil(round(self.design.channel_depth_mm / self.stepdown_mm, 6)))

    @property
    def estimated_time_s(self) -> float | None:
        totals = (self.report or {}).get("totals") or {}
        value = totals.get("estimated_time_s")
        return None if value is None else float(value)


def program_file_name(design: RosetteDesignV1, tool: dict[str, Any], post: str) -> str:
    """Named by content, so a file on the machine's USB stick says what it cuts."""
    bit = profiles.bit_slug(float(tool["diameter_mm"]))
    return (f"rosette-{design.outer_diameter_mm:g}x{design.inner_diameter_mm:g}"
            f"-d{design.channel_depth_mm:g}-{bit}-{post}.nc")


def program_header(program: str) -> list[str]:
    """The comment lines at the top of a program, without their parentheses."""
    lines = []
    for raw in program.splitlines():
        line = raw.strip()
        if line in ("%", ""):
            continue
        if not (line.startswith("(") and line.endswith(")")):
            break
        lines.append(line[1:-1])
    return lines


def load(request_id: str, table: Table | None = None) -> Sheet:
    doc = blobs.get_json(config.requests_bucket(), promotion_request_key(request_id))
    if doc is None:
        raise PromotionRequestNotFound(request_id)
    request = CamPromotionRequestV1.model_validate(doc)
    raw_design = blobs.get_json(config.requests_bucket(), design_key(request.design_fingerprint))
    if raw_design is None:
        raise PromotionRequestNotFound(request_id)
    design = RosetteDesignV1.model_validate(raw_design)
    cat = profiles.catalogue()
    profile = cat.profile(request.cam_profile_id or cat.default_profile_id(), path="cam_profile_id")
    job = (table or Table()).get(*job_key(request_id)) or {}
    status = str(job.get("status") or "pending")
    report = program_url = None
    header: list[str] = []
    if status == "completed":
        bucket = config.artifacts_bucket()
        report = blobs.get_json(bucket, artifact_key(request_id, "report.json"))
        program = blobs.get_bytes(bucket, artifact_key(request_id, "program.nc"))
        if program is not None:
            header = program_header(program.decode("utf-8", "replace"))
            name = program_file_name(design, cat.tool(str(profile["tool"])), str(profile["post"]))
            program_url = blobs.presigned_get(bucket, artifact_key(request_id, "program.nc"), filename=name)
    reason = job.get("reason")
    return Sheet(request=request, design=design, profile=profile, tool=cat.tool(str(profile["tool"])),
                 machine=cat.machine(str(profile["machine"])), material=cat.material(str(profile["material"])),
                 status=status, reason=None if reason is None else str(reason), report=report,
                 header_lines=header, program_url=program_url)


def _n(value: float) -> str:
    return f"{value:.3f}".rstrip("0").rstrip(".")


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "known once the job is planned"
    total = round(seconds)
    minutes, secs = divmod(total, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if hours else f"{minutes} min {secs} s" if minutes else f"{secs} s"


def top_view_svg(sheet: Sheet) -> str:
    """A to-scale top view, y up, origin at the rosette centre (the design's own origin)."""
    d = sheet.design
    cx, cy = d.center_mm
    clamp_r = sheet.clamp_free_radius_mm
    half = clamp_r + CLAMP_BAND_MM
    size = 2 * half + 20
    x0, y0 = cx - size / 2, -cy - size / 2
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" id="top-view" role="img" aria-labelledby="top-view-title" '
        f'width="{_n(size)}mm" height="{_n(size + 12)}mm" viewBox="{_n(x0)} {_n(y0)} {_n(size)} {_n(size + 12)}">',
        f'<title id="top-view-title">Top view to scale: rosette channel {_n(d.inner_diameter_mm)} to '
        f'{_n(d.outer_diameter_mm)} mm, origin X0 Y0 at the rosette centre, clamps outside the '
        f'{_n(2 * clamp_r)} mm circle</title>',
        # Stock area the top must lie flat over, and the clamp-free circle.
        f'<rect x="{_n(cx - half)}" y="{_n(-cy - half)}" width="{_n(2 * half)}" height="{_n(2 * half)}" '
        'fill="none" stroke="#555" stroke-width="0.4" stroke-dasharray="3 2"/>',
        f'<circle cx="{_n(cx)}" cy="{_n(-cy)}" r="{_n(clamp_r)}" fill="#fff4d6" stroke="#8a5a00" '
        'stroke-width="0.5" stroke-dasharray="2 1.5"/>',
        # The channel as a filled annulus.
        f'<circle cx="{_n(cx)}" cy="{_n(-cy)}" r="{_n((d.inner_diameter_mm + d.outer_diameter_mm) / 4)}" '
        f'fill="none" stroke="#2b6cb0" stroke-width="{_n(d.channel_width_mm)}"/>',
    ]
    if d.cut_soundhole:
        parts.append(f'<circle cx="{_n(cx)}" cy="{_n(-cy)}" r="{_n(d.effective_soundhole_diameter_mm / 2)}" '
                     'fill="none" stroke="#000" stroke-width="0.5"/>')
    for dx, dy in ((1, 0), (-1, 0), (0, 1), (0, -1)):
        # One clamp pad in each direction, inside the band outside the clamp-free circle.
        px, py = cx + dx * (clamp_r + CLAMP_BAND_MM / 2), -cy + dy * (clamp_r + CLAMP_BAND_MM / 2)
        w, h = (CLAMP_BAND_MM * 0.6, 20.0) if dx else (20.0, CLAMP_BAND_MM * 0.6)
        parts.append(f'<rect class="clamp" x="{_n(px - w / 2)}" y="{_n(py - h / 2)}" width="{_n(w)}" '
                     f'height="{_n(h)}" fill="#bbb" stroke="#333" stroke-width="0.3"/>')
    arm = 8.0
    parts += [
        # The origin: a crosshair on the rosette centre, with the +X and +Y directions.
        f'<g id="origin-mark" stroke="#c00" stroke-width="0.6">'
        f'<line x1="{_n(cx - arm)}" y1="{_n(-cy)}" x2="{_n(cx + arm)}" y2="{_n(-cy)}"/>'
        f'<line x1="{_n(cx)}" y1="{_n(-cy - arm)}" x2="{_n(cx)}" y2="{_n(-cy + arm)}"/>'
        f'<circle cx="{_n(cx)}" cy="{_n(-cy)}" r="2" fill="none"/></g>',
        f'<text x="{_n(cx + 2.5)}" y="{_n(-cy - 2.5)}" font-size="4" fill="#a00" font-family="sans-serif">'
        'X0 Y0</text>',
        f'<text x="{_n(cx + arm + 1)}" y="{_n(-cy + 1.5)}" font-size="4" font-family="sans-serif">+X</text>',
        f'<text x="{_n(cx - 2)}" y="{_n(-cy - arm - 1)}" font-size="4" font-family="sans-serif">+Y</text>',
        # Scale bar, so a printout can be checked with a ruler.
        f'<g id="scale-bar"><line x1="{_n(x0 + 5)}" y1="{_n(y0 + size + 6)}" x2="{_n(x0 + 5 + SCALE_BAR_MM)}" '
        f'y2="{_n(y0 + size + 6)}" stroke="#000" stroke-width="0.8"/>'
        f'<text x="{_n(x0 + 5)}" y="{_n(y0 + size + 11)}" font-size="4" font-family="sans-serif">'
        f'{_n(SCALE_BAR_MM)} mm</text></g>',
        "</svg>",
    ]
    return "".join(parts)


def rows(sheet: Sheet) -> list[tuple[str, str]]:
    d, tool = sheet.design, sheet.tool
    report_tool = (sheet.report or {}).get("tool") or {}
    feeds = (f"{_n(float(report_tool['spindle_rpm']))} rpm, feed {_n(float(report_tool['feed_mm_min']))} mm/min, "
             f"plunge {_n(float(report_tool['plunge_mm_min']))} mm/min") if report_tool else \
        f"{sheet.profile['spindle_rpm']} rpm (feeds are in the report once the job is planned)"
    out = [
        ("File to load", sheet.file_name),
        ("Origin X0 Y0", "the rosette centre (the centre of the soundhole)"),
        ("Origin Z0", "the top surface of the top: touch off on the spruce, not on the spoilboard"),
        ("Bit", f"{tool['name']} ({profiles.bit_label(float(tool['diameter_mm']))})"),
        ("Speeds", feeds),
        ("CAM profile", f"{sheet.profile['name']} ({sheet.profile['id']})"),
        ("Machine and post", f"{sheet.machine['name']}; post {sheet.profile['post']}"),
        ("Stock", f"{sheet.material['name']}, top {_n(d.top_thickness_mm)} mm thick, flat over a "
                  f"{_n(2 * (sheet.clamp_free_radius_mm + CLAMP_BAND_MM))} mm square around the centre"),
        ("Clamping", f"clamps and pads only outside the {_n(2 * sheet.clamp_free_radius_mm)} mm circle "
                     f"({_n(CLAMP_CLEARANCE_MM)} mm beyond the channel's outer edge)"),
        ("Channel", f"diameter {_n(d.inner_diameter_mm)} to {_n(d.outer_diameter_mm)} mm, "
                    f"{_n(d.channel_width_mm)} mm wide"),
        ("Depth", f"{_n(d.channel_depth_mm)} mm, leaving {_n(d.top_thickness_mm - d.channel_depth_mm)} mm of top"),
        ("Passes", f"{sheet.passes} (step down {_n(sheet.stepdown_mm)} mm)"),
        ("Soundhole", "cut through, held by tabs: cut the tabs free by hand" if d.cut_soundhole else "not cut"),
        ("Estimated time", duration(sheet.estimated_time_s)),
    ]
    return out


PAGE_CSS = """
body{font-family:system-ui,sans-serif;color:#111;background:#fff;margin:1.5rem;max-width:60rem}
h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:1.5rem}
table{border-collapse:collapse;width:100%}th,td{text-align:left;vertical-align:top;padding:.3rem .5rem;
border-bottom:1px solid #ccc}th{width:11rem}
pre{background:#f4f4f4;padding:.6rem;overflow-x:auto;white-space:pre-wrap}
.status{font-weight:bold}.figure{overflow-x:auto}.figure svg{max-width:100%;height:auto}
.note{color:#333}ol li{margin:.3rem 0}
a{color:#0645ad}
@media (max-width:600px){body{margin:1rem}th{width:6.5rem}}
@media print{body{margin:0;max-width:none}.no-print{display:none}
.figure svg{max-width:none;width:auto;height:auto}@page{size:A4;margin:12mm}}
"""


def render_html(sheet: Sheet) -> str:
    e = html.escape
    d, rid = sheet.design, sheet.request.promotion_request_id
    title = f"Set-up sheet: rosette {_n(d.outer_diameter_mm)} x {_n(d.inner_diameter_mm)} mm"
    table = "".join(f'<tr><th scope="row">{e(k)}</th><td data-row="{e(k)}">{e(v)}</td></tr>'
                    for k, v in rows(sheet))
    if sheet.header_lines:
        header = (f'<pre id="gcode-header">{e(chr(10).join(sheet.header_lines))}</pre>')
    else:
        header = ('<p id="gcode-header" class="note">The program is not written yet; '
                  'reload when the job is completed.</p>')
    status = e(sheet.status) + (f": {e(sheet.reason)}" if sheet.reason else "")
    download = (f'<p class="no-print"><a id="download-program" href="{e(sheet.program_url)}" '
                f'download="{e(sheet.file_name)}">Download {e(sheet.file_name)}</a></p>') if sheet.program_url else ""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{e(title)}</title><style>{PAGE_CSS}</style></head>
<body><main>
<h1>{e(title)}</h1>
<p>Job <code>{e(rid)}</code> · status <span class="status" id="job-status">{status}</span></p>
{download}
<h2>Top view (to scale when printed at 100 %)</h2>
<div class="figure">{top_view_svg(sheet)}</div>
<p class="note">Red cross: X0 Y0, the rosette centre. Blue band: the channel. Shaded circle: keep clamps out.
Grey blocks: where clamps or pads go.</p>
<h2>Set-up</h2>
<table id="setup">{table}</table>
<h2>Before you press start</h2>
<ol>
<li>Fit the {e(str(sheet.tool['name']))} and set the spindle as above.</li>
<li>Lay the top flat, centre mark up; clamp only outside the shaded circle.</li>
<li>Jog to the rosette centre and zero X and Y there.</li>
<li>Touch the bit off on the top surface of the top and zero Z there.</li>
<li>Load <strong>{e(sheet.file_name)}</strong>; check its first lines match the header below.</li>
</ol>
<h2>Program header</h2>
{header}
</main></body></html>
"""
