// A toolpath and time preview before promoting: the same CamIntentV1 the CAM worker
// builds from a promotion (chalicelib/rmos/cam/promotion_job.py), planned by POST /plan.
// Nothing is stored; the job itself is still made only by promoting.

// The worker's soundhole constants, so the preview cuts what the job will cut.
const SOUNDHOLE_BREAKTHROUGH_MM = 0.2;
const SOUNDHOLE_TABS = 4;
const SOUNDHOLE_TAB_WIDTH_MM = 6.0;
const SOUNDHOLE_TAB_HOLD_MM = 1.0;
const DEFAULT_SOUNDHOLE_MARGIN_MM = 4.0;

export function rosetteIntent(design, profile) {
  const center = design.center_mm || [0, 0];
  const operations = [{
    operation: "pocket",
    geometry: { type: "annulus", center, inner_radius_mm: design.inner_diameter_mm / 2,
      outer_radius_mm: design.outer_diameter_mm / 2 },
    depth_mm: design.channel_depth_mm,
  }];
  if (design.cut_soundhole) {
    const diameter = design.soundhole_diameter_mm ?? design.inner_diameter_mm - 2 * DEFAULT_SOUNDHOLE_MARGIN_MM;
    const top = design.top_thickness_mm ?? 3;
    const hold = Math.min(SOUNDHOLE_TAB_HOLD_MM, top / 2);
    operations.push({
      operation: "profile",
      geometry: { type: "circle", center, radius_mm: diameter / 2 },
      side: "inside",
      depth_mm: top + SOUNDHOLE_BREAKTHROUGH_MM,
      tabs: { count: SOUNDHOLE_TABS, width_mm: SOUNDHOLE_TAB_WIDTH_MM, height_mm: hold + SOUNDHOLE_BREAKTHROUGH_MM },
    });
  }
  return {
    schema_version: "cam_intent_v1",
    mode: "router_3axis",
    units: "mm",
    tool_id: profile.tool.id,
    material_id: profile.material.id,
    machine_id: profile.machine.id,
    design: { operations },
    context: { stepover_pct: profile.stepover_pct, stepdown_mm: profile.stepdown_mm, spindle_rpm: profile.spindle_rpm },
    options: { post: profile.post, profile_id: profile.id },
  };
}
