// The rosette drawn to scale: one SVG user unit is one millimetre.
import { svg, fmt } from "./svg.js";
import { length } from "./units.js";

export const PATTERNS = ["SOLID", "MOSAIC", "HATCH", "DOTS", "STIPPLE", "HERRINGBONE"];

// A stable colour per material name, so the same wood looks the same everywhere.
export function materialColour(material, index) {
  const text = (material || "").trim().toLowerCase();
  const known = {
    maple: "#e8d3a8", holly: "#f1ead9", ebony: "#2b2522", rosewood: "#5b3524", walnut: "#6b4a33",
    mahogany: "#8a4b32", padauk: "#b5462b", abalone: "#6fa3a0", "mother of pearl": "#dfe6e6", koa: "#a8743e",
    spruce: "#ecd9a9", cedar: "#b7754a", purpleheart: "#6b3a5c", boxwood: "#e3cf8f",
  };
  for (const [name, colour] of Object.entries(known)) if (text.includes(name)) return colour;
  let hash = index * 97;
  for (const ch of text) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
  return `hsl(${hash % 360} 45% ${55 + (hash % 20)}%)`;
}

function ringOverlay(pattern, r, width, tile) {
  // The pattern is drawn along the ring's centre line; tile lengths are true millimetres.
  const base = { cx: 0, cy: 0, r, fill: "none", class: `pattern pattern-${pattern.toLowerCase()}` };
  const t = tile && tile > 0 ? tile : Math.max(width, 1);
  switch (pattern) {
    case "MOSAIC":
      return svg("circle", { ...base, "stroke-width": width * 0.8, "stroke-dasharray": `${t / 2} ${t / 2}` });
    case "HERRINGBONE":
      return svg("circle", { ...base, "stroke-width": width * 0.9, "stroke-dasharray": `${t * 0.35} ${t * 0.15}` });
    case "HATCH":
      return svg("circle", { ...base, "stroke-width": width, "stroke-dasharray": `${Math.min(0.25, t / 4)} ${Math.min(0.75, t / 2)}` });
    case "DOTS":
      return svg("circle", { ...base, "stroke-width": Math.min(width * 0.5, 1.2), "stroke-linecap": "round",
        "stroke-dasharray": `0 ${Math.max(t, 1)}` });
    case "STIPPLE":
      return svg("circle", { ...base, "stroke-width": Math.min(width * 0.3, 0.6), "stroke-linecap": "round",
        "stroke-dasharray": "0 0.7 0 1.3 0 0.9" });
    default:
      return null;
  }
}

export function drawRosette(target, caption, design, unit = "mm") {
  target.replaceChildren();
  const outer = Number(design.outer_diameter_mm);
  const inner = Number(design.inner_diameter_mm);
  if (!(outer > 0) || !(inner > 0) || inner >= outer) {
    target.setAttribute("viewBox", "-60 -60 120 120");
    target.append(svg("text", { x: 0, y: 0, "text-anchor": "middle", class: "placeholder" },
      [document.createTextNode("Enter an inner diameter smaller than the outer one")]));
    caption.textContent = "No drawing: the diameters do not describe a channel.";
    return;
  }
  const half = outer / 2 + Math.max(8, outer * 0.08);
  target.setAttribute("viewBox", `${-half} ${-half} ${2 * half} ${2 * half}`);

  // The top around the channel, then the channel rings from the inside out.
  target.append(svg("circle", { cx: 0, cy: 0, r: half * 0.98, class: "top-wood" }));
  const channel = (outer - inner) / 2;
  let radius = inner / 2;
  const rings = design.rings || [];
  const total = rings.reduce((sum, ring) => sum + (Number(ring.width_mm) > 0 ? Number(ring.width_mm) : 0), 0);
  rings.forEach((ring, index) => {
    const width = Number(ring.width_mm);
    if (!(width > 0)) return;
    const mid = radius + width / 2;
    const group = svg("g", { class: "ring", "data-ring": index + 1 });
    group.append(svg("title", {}, [document.createTextNode(
      `Ring ${index + 1}: ${length(width, unit)} ${ring.pattern_type.toLowerCase()}${ring.material ? `, ${ring.material}` : ""}`)]));
    group.append(svg("circle", { cx: 0, cy: 0, r: mid, fill: "none", stroke: materialColour(ring.material, index),
      "stroke-width": width, class: "ring-base" }));
    const overlay = ringOverlay(ring.pattern_type, mid, width, Number(ring.tile_length_mm));
    if (overlay) group.append(overlay);
    target.append(group);
    radius += width;
  });
  target.append(svg("circle", { cx: 0, cy: 0, r: inner / 2, class: "channel-edge" }));
  target.append(svg("circle", { cx: 0, cy: 0, r: outer / 2, class: "channel-edge" }));
  if (Math.abs(total - channel) > 0.01) {
    // Show what the rings leave unfilled (or overfill) so the mismatch is visible, not only reported.
    target.append(svg("circle", { cx: 0, cy: 0, r: inner / 2 + Math.min(total, channel), class: "ring-gap" }));
  }
  if (design.cut_soundhole) {
    const hole = Number(design.soundhole_diameter_mm) > 0 ? Number(design.soundhole_diameter_mm) : inner - 8;
    if (hole > 0) target.append(svg("circle", { cx: 0, cy: 0, r: hole / 2, class: "soundhole" }));
  }
  // A 10 mm scale bar, so the drawing can be read against a ruler.
  const y = half * 0.9;
  const x0 = -half * 0.9;
  target.append(svg("g", { class: "scale-bar" }, [
    svg("line", { x1: x0, y1: y, x2: x0 + 10, y2: y }),
    svg("text", { x: x0 + 5, y: y - 1.5, "text-anchor": "middle" }, [document.createTextNode("10 mm")]),
  ]));
  const depth = Number(design.channel_depth_mm);
  caption.textContent = `Rosette to scale: ${length(inner, unit)} to ${length(outer, unit)} diameter, ` +
    `channel ${length(channel, unit)} wide and ${length(depth, unit)} deep, ${rings.length} ring${rings.length === 1 ? "" : "s"}` +
    `${design.cut_soundhole ? ", soundhole cut through" : ""}.`;
}
