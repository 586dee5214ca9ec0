// Reads a G-code program back into XY moves and draws them: cuts solid, rapids dashed.
import { svg, fmt } from "./svg.js";

const WORD = /([A-Z])\s*([-+]?(?:\d+\.?\d*|\.\d+))/g;

function arcPoints(x0, y0, x1, y1, cx, cy, clockwise) {
  const r = Math.hypot(x0 - cx, y0 - cy);
  let a0 = Math.atan2(y0 - cy, x0 - cx);
  let a1 = Math.atan2(y1 - cy, x1 - cx);
  let sweep = a1 - a0;
  if (clockwise) { if (sweep >= -1e-9) sweep -= 2 * Math.PI; } else if (sweep <= 1e-9) sweep += 2 * Math.PI;
  const steps = Math.max(4, Math.ceil(Math.abs(sweep) / (Math.PI / 36)));
  const points = [];
  for (let i = 1; i <= steps; i += 1) {
    const a = a0 + (sweep * i) / steps;
    points.push(i === steps ? [x1, y1] : [cx + r * Math.cos(a), cy + r * Math.sin(a)]);
  }
  return points;
}

// Returns {cuts, rapids, bounds, units, moves}: cuts and rapids are lists of polylines.
export function parseGcode(text) {
  const pos = { x: 0, y: 0, z: 0 };
  let motion = 0;
  let absolute = true;
  let units = "mm";
  let canned = null;
  const cuts = [];
  const rapids = [];
  let current = null;
  let moves = 0;
  const bounds = { minX: Infinity, minY: Infinity, maxX: -Infinity, maxY: -Infinity };
  const grow = (x, y) => {
    bounds.minX = Math.min(bounds.minX, x); bounds.maxX = Math.max(bounds.maxX, x);
    bounds.minY = Math.min(bounds.minY, y); bounds.maxY = Math.max(bounds.maxY, y);
  };
  const extend = (kind, points) => {
    if (!current || current.kind !== kind) {
      current = { kind, points: [[pos.x, pos.y]] };
      (kind === "cut" ? cuts : rapids).push(current.points);
    }
    for (const p of points) { current.points.push(p); grow(p[0], p[1]); }
  };

  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/\([^)]*\)/g, "").replace(/;.*$/, "").toUpperCase();
    if (!line.trim()) continue;
    const words = {};
    const gs = [];
    for (const [, letter, value] of line.matchAll(WORD)) {
      if (letter === "G") gs.push(Number(value)); else words[letter] = Number(value);
    }
    for (const g of gs) {
      if (g === 20) units = "inch";
      else if (g === 21) units = "mm";
      else if (g === 90) absolute = true;
      else if (g === 91) absolute = false;
      else if (g === 80) canned = null;
      else if ([0, 1, 2, 3].includes(g)) { motion = g; canned = null; }
      else if ([81, 82, 83, 73].includes(g)) canned = g;
    }
    const hasXY = "X" in words || "Y" in words;
    const hasZ = "Z" in words;
    if (!hasXY && !hasZ) continue;
    const target = {
      x: "X" in words ? (absolute ? words.X : pos.x + words.X) : pos.x,
      y: "Y" in words ? (absolute ? words.Y : pos.y + words.Y) : pos.y,
      z: "Z" in words ? (absolute ? words.Z : pos.z + words.Z) : pos.z,
    };
    moves += 1;
    if (canned !== null) {
      // A drill cycle: travel to the hole, mark the hole as cut.
      extend("rapid", [[target.x, target.y]]);
      pos.x = target.x; pos.y = target.y;
      extend("cut", [[target.x + 1e-3, target.y]]);
      current = null;
      continue;
    }
    if (target.x !== pos.x || target.y !== pos.y) {
      if (motion === 0) extend("rapid", [[target.x, target.y]]);
      else if (motion === 1) extend("cut", [[target.x, target.y]]);
      else {
        const cx = pos.x + (words.I || 0);
        const cy = pos.y + (words.J || 0);
        extend("cut", arcPoints(pos.x, pos.y, target.x, target.y, cx, cy, motion === 2));
      }
    } else if ((motion === 2 || motion === 3) && ("I" in words || "J" in words)) {
      // Same start and end point: a full circle.
      const cx = pos.x + (words.I || 0);
      const cy = pos.y + (words.J || 0);
      extend("cut", arcPoints(pos.x, pos.y, target.x, target.y, cx, cy, motion === 2));
    }
    pos.x = target.x; pos.y = target.y; pos.z = target.z;
  }
  if (!Number.isFinite(bounds.minX)) Object.assign(bounds, { minX: 0, minY: 0, maxX: 1, maxY: 1 });
  return { cuts, rapids, bounds, units, moves };
}

function pathData(polylines) {
  const parts = [];
  for (const line of polylines) {
    if (line.length < 2) continue;
    parts.push(`M${line[0][0].toFixed(3)} ${(-line[0][1]).toFixed(3)}`);
    for (let i = 1; i < line.length; i += 1) parts.push(`L${line[i][0].toFixed(3)} ${(-line[i][1]).toFixed(3)}`);
  }
  return parts.join("");
}

// Draws a parsed program into `target` and returns zoom controls.
export function showToolpath(target, caption, parsed) {
  const { bounds } = parsed;
  const margin = Math.max(bounds.maxX - bounds.minX, bounds.maxY - bounds.minY, 1) * 0.05;
  const home = {
    x: bounds.minX - margin, y: -bounds.maxY - margin,
    w: bounds.maxX - bounds.minX + 2 * margin, h: bounds.maxY - bounds.minY + 2 * margin,
  };
  let view = { ...home };
  const apply = () => target.setAttribute("viewBox", `${view.x} ${view.y} ${view.w} ${view.h}`);
  target.replaceChildren(
    svg("path", { class: "rapid", d: pathData(parsed.rapids), "vector-effect": "non-scaling-stroke" }),
    svg("path", { class: "cut", d: pathData(parsed.cuts), "vector-effect": "non-scaling-stroke" }),
  );
  target.setAttribute("preserveAspectRatio", "xMidYMid meet");
  apply();
  caption.textContent = `Toolpath seen from above: ${parsed.moves} moves over ` +
    `${fmt(bounds.maxX - bounds.minX)} × ${fmt(bounds.maxY - bounds.minY)} ${parsed.units}. ` +
    "Solid lines cut, dashed lines are rapid moves.";

  const zoom = (factor, cx = view.x + view.w / 2, cy = view.y + view.h / 2) => {
    const w = Math.min(Math.max(view.w * factor, home.w / 200), home.w * 4);
    const h = (w / view.w) * view.h;
    view = { x: cx - ((cx - view.x) * w) / view.w, y: cy - ((cy - view.y) * h) / view.h, w, h };
    apply();
  };
  const pan = (dx, dy) => { view = { ...view, x: view.x + dx * view.w, y: view.y + dy * view.h }; apply(); };
  const reset = () => { view = { ...home }; apply(); };

  target.onwheel = (event) => {
    event.preventDefault();
    const box = target.getBoundingClientRect();
    const scale = Math.max(view.w / box.width, view.h / box.height);
    const cx = view.x + view.w / 2 + (event.clientX - box.left - box.width / 2) * scale;
    const cy = view.y + view.h / 2 + (event.clientY - box.top - box.height / 2) * scale;
    zoom(event.deltaY < 0 ? 0.8 : 1.25, cx, cy);
  };
  let drag = null;
  target.onpointerdown = (event) => { drag = { x: event.clientX, y: event.clientY }; target.setPointerCapture(event.pointerId); };
  target.onpointermove = (event) => {
    if (!drag) return;
    const box = target.getBoundingClientRect();
    const scale = Math.max(view.w / box.width, view.h / box.height);
    view = { ...view, x: view.x - (event.clientX - drag.x) * scale, y: view.y - (event.clientY - drag.y) * scale };
    drag = { x: event.clientX, y: event.clientY };
    apply();
  };
  target.onpointerup = () => { drag = null; };
  target.onkeydown = (event) => {
    const keys = { "+": () => zoom(0.8), "=": () => zoom(0.8), "-": () => zoom(1.25), "0": reset,
      ArrowLeft: () => pan(-0.1, 0), ArrowRight: () => pan(0.1, 0), ArrowUp: () => pan(0, -0.1), ArrowDown: () => pan(0, 0.1) };
    if (keys[event.key]) { event.preventDefault(); keys[event.key](); }
  };
  return { zoomIn: () => zoom(0.8), zoomOut: () => zoom(1.25), reset, view: () => ({ ...view }) };
}
