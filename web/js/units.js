// Reading lengths typed by hand and showing lengths in the unit the luthier chose.
// The design itself is always millimetres: only what is displayed changes.
import { fmt } from "./svg.js";

export const MM_PER_INCH = 25.4;
const UNIT_KEY = "luthier-cam.units";

// One decimal mark, comma or point, and nothing else: "110,5" and "110.5" are
// the same length, while "1,2,3", "7e" or "1 000" are refused rather than guessed.
const DECIMAL = /^[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)$/;

// Returns {value} (a finite number), {empty: true} or {error} in plain words.
export function parseDecimal(text) {
  const s = String(text ?? "").trim();
  if (!s) return { empty: true };
  if (!DECIMAL.test(s)) return { error: `“${s}” is not a number. Write it like 110.5 or 110,5.` };
  return { value: Number(s.replace(",", ".")) };
}

// A length field: the label names the field in the error ("Ring 2 width").
export function readLength(text, label, { required = true } = {}) {
  const parsed = parseDecimal(text);
  if (parsed.empty) return required ? { error: `Enter the ${lower(label)}.` } : { value: null };
  if (parsed.error) return parsed;
  if (!(parsed.value > 0)) return { error: `${label} must be more than 0 mm.` };
  return parsed;
}

function lower(label) {
  return label.charAt(0).toLowerCase() + label.slice(1);
}

export function getUnit() {
  try {
    return localStorage.getItem(UNIT_KEY) === "in" ? "in" : "mm";
  } catch {
    return "mm";
  }
}

export function setUnit(unit) {
  try { localStorage.setItem(UNIT_KEY, unit === "in" ? "in" : "mm"); } catch { /* private mode: not remembered */ }
}

// "110 mm" or "4.331 in"; inches get more digits because one inch is 25 times coarser.
export function length(mm, unit, digits = 2) {
  if (!Number.isFinite(mm)) return "–";
  return unit === "in" ? `${fmt(mm / MM_PER_INCH, digits + 2)} in` : `${fmt(mm, digits)} mm`;
}

// A bit in both units, whatever the display: bits are bought by either name.
export function bitSize(mm) {
  return `${fmt(mm, 4)} mm / ${fmt(mm / MM_PER_INCH, 4)} in`;
}

// The names a shop knows its stocked bits by (the feasibility rules' list).
const BIT_NAMES = [[0.8, "0.8 mm"], [1.0, "1 mm"], [1.5875, "1/16 in"], [2.0, "2 mm"], [3.175, "1/8 in"], [6.35, "1/4 in"]];

export function bitName(mm) {
  const known = BIT_NAMES.find(([d]) => Math.abs(d - mm) < 1e-6);
  return known ? known[1] : `${fmt(mm, 4)} mm`;
}

// A moment as people read it: the date and the minute, in the browser's own locale.
export function dateTime(iso) {
  return new Date(iso).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}
