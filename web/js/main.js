// The page: sessions, the rosette editor, feasibility, the workflow, promotion and the CAM job.
import { Api, ApiError, detailPath, fetchText, loadConfig } from "./api.js";
import { Auth } from "./auth.js";
import { drawRosette, PATTERNS } from "./rosette.js";
import { el, fmt } from "./svg.js";
import { parseGcode, showToolpath } from "./toolpath.js";
import { latestPromotion, renderPromotions } from "./promotions.js";
import { rosetteIntent } from "./preview.js";
import { bitName, bitSize, dateTime, getUnit, length, readLength, setUnit } from "./units.js";

const $ = (id) => document.getElementById(id);

// The form's own fields: the input, the words an error uses, and the design key.
const FIELDS = {
  outer: { key: "outer_diameter_mm", label: "Outer diameter" },
  inner: { key: "inner_diameter_mm", label: "Inner diameter" },
  depth: { key: "channel_depth_mm", label: "Channel depth" },
  top: { key: "top_thickness_mm", label: "Top thickness" },
  soundhole: { key: "soundhole_diameter_mm", label: "Soundhole diameter", optional: true },
};
const RING_FIELDS = { width_mm: "width", tile_length_mm: "tile", material: "material", pattern_type: "pattern" };

// Check ids in the words a luthier uses.
const CHECK_NAMES = {
  bit_fits_channel: "Bit fits the channel",
  remaining_top_thickness: "Top left under the channel",
  channel_depth: "Channel depth",
  min_ring_width: "Narrowest ring",
  min_tile_length: "Shortest tile",
  soundhole_diameter: "Soundhole size",
  soundhole_margin: "Wood between soundhole and channel",
  complexity: "Complexity",
};
const STATUS_WORDS = { pass: "OK", warn: "Take care", fail: "Cannot be made" };

const DEFAULT_DESIGN = {
  outer_diameter_mm: 120,
  inner_diameter_mm: 100,
  channel_depth_mm: 1.5,
  top_thickness_mm: 3,
  cut_soundhole: false,
  rings: [
    { width_mm: 1.5, pattern_type: "SOLID", material: "ebony" },
    { width_mm: 7, pattern_type: "MOSAIC", tile_length_mm: 3, material: "maple" },
    { width_mm: 1.5, pattern_type: "SOLID", material: "ebony" },
  ],
};

const STATE_LABELS = {
  draft: "Draft", in_review: "In review", approved: "Approved", rejected: "Rejected", exported: "Exported",
};

// Which workflow moves each state offers; the server still has the last word.
const ACTIONS = {
  draft: [{ to: "in_review", label: "Submit for review" }],
  in_review: [
    { to: "approved", label: "Approve" },
    { to: "rejected", label: "Reject" },
    { to: "draft", label: "Back to draft" },
  ],
  approved: [{ exportDrawings: true, label: "Export drawings" }, { to: "draft", label: "Reopen" }],
  rejected: [{ to: "draft", label: "Reopen" }],
  exported: [{ to: "draft", label: "Reopen" }],
};

const FINAL = ["completed", "failed"];

// What each group may do, from the policy table in docs/security.md: "any" on anyone's
// session, "own" only on the user's own. The page offers only what the table allows;
// the API decides again on every call.
const RULES = {
  "session.create": { designer: "any" },
  "session.edit": { designer: "own" },
  "session.check": { designer: "own" },
  "session.submit": { designer: "own" },
  "session.withdraw": { designer: "own", reviewer: "any" },
  "session.approve": { reviewer: "any" },
  "session.reject": { reviewer: "any", admin: "any" },
  "session.reopen": { designer: "own", admin: "any" },
  "session.export": { designer: "own", operator: "any" },
  "session.promote": { designer: "own", operator: "any" },
  "job.download": { designer: "own", operator: "any", integrator: "own" },
  // Not shared: a designer whose session shares another's job may read it, not re-run it.
  "job.retry": { designer: "own", operator: "any", integrator: "own" },
};
const TRANSITION_ACTIONS = {
  "draft>in_review": "session.submit",
  "in_review>approved": "session.approve",
  "in_review>rejected": "session.reject",
  "in_review>draft": "session.withdraw",
  "approved>draft": "session.reopen",
  "rejected>draft": "session.reopen",
  "exported>draft": "session.reopen",
};
const ROLE_ORDER = ["designer", "reviewer", "operator", "integrator", "admin"];

// The owner's sub as the session records it; null when the API does not say.
function ownerOf(session) {
  if (!session) return null;
  return session.owner_sub || (session.owner && session.owner.sub) || null;
}

function may(action, session = null) {
  if (!state.auth || !state.auth.signedIn) return false;
  const me = state.auth.user;
  const rule = RULES[action] || {};
  const owner = ownerOf(session);
  // Without a session there is no owner yet; without an owner field the API has the last word.
  const own = !session || owner === null || owner === me.sub;
  const allowed = me.groups.some((g) => rule[g] === "any" || (rule[g] === "own" && own));
  // Nobody approves their own design (four-eyes), whatever their groups.
  if (action === "session.approve" && owner !== null && owner === me.sub) return false;
  return allowed;
}

const state = {
  api: null,
  auth: null,
  entered: false,
  session: null,
  rings: [],
  dirty: false,
  cursor: null,
  profiles: null,
  job: null,
  jobId: null,
  pollTimer: null,
  pollMisses: 0,
  viewer: null,
  blobUrl: null,
  unit: "mm",
  hash: "",
};

// ---------------------------------------------------------------- messages
function clearError() {
  const box = $("alert");
  box.hidden = true;
  box.replaceChildren();
}

function showError(err, context) {
  const box = $("alert");
  const apiErr = err instanceof ApiError ? err : new ApiError(0, "page_error", err.message || String(err));
  // The sign-in form says what happened; a banner over it would only repeat it.
  if (apiErr.status === 401 || apiErr.code === "signed_out") return;
  // A design the server refused goes next to the fields it names; only the rest is a banner.
  const rest = apiErr.status === 422 ? showServerFieldErrors(apiErr.details) : apiErr.details;
  if (apiErr.status === 422 && Array.isArray(rest) && rest.length === 0) return;
  const where = apiErr.status ? `HTTP ${apiErr.status}` : "no answer";
  const children = [
    el("p", {}, [el("strong", { text: `${context}: ` }), document.createTextNode(plainWords(apiErr.message))]),
  ];
  if (Array.isArray(rest) && rest.length) {
    children.push(el("ul", {}, rest.map((d) => el("li", {
      text: d && typeof d === "object" ? plainWords(d.message || JSON.stringify(d)) : String(d),
    }))));
  }
  children.push(el("p", { className: "muted small", text: `(${where}, ${apiErr.code})` }));
  children.push(el("button", { type: "button", className: "secondary", text: "Dismiss", onclick: clearError }));
  box.replaceChildren(...children);
  box.hidden = false;
  box.focus();
}

// Field names in server messages, in the words of the form.
const NAMES = {
  outer_diameter_mm: "the outer diameter", inner_diameter_mm: "the inner diameter",
  channel_depth_mm: "the channel depth", top_thickness_mm: "the top thickness",
  soundhole_diameter_mm: "the soundhole diameter",
};

function plainWords(message) {
  let text = String(message || "").replace(/^Value error, /, "");
  const sum = text.match(/ring widths add up to ([\d.]+) mm but the channel \(outer - inner\)\/2 is ([\d.]+) mm/);
  if (sum) {
    return `The rings add up to ${fmt(Number(sum[1]), 3)} mm but the channel is ${fmt(Number(sum[2]), 3)} mm wide; ` +
      "change the ring widths (or use “Fit the outer ring to the channel”) so they match.";
  }
  text = text.replace(/\b([a-z_]+_mm) \(([-\d.e+]+)\)/g, (all, name, value) => (NAMES[name] ? `${NAMES[name]} (${value} mm)` : all));
  for (const [name, words] of Object.entries(NAMES)) text = text.replaceAll(name, words);
  return text.charAt(0).toUpperCase() + text.slice(1);
}

// A pydantic-style detail in plain words, for a field whose label is known.
function fieldMessage(detail, label) {
  const message = String(detail.message || "");
  let m;
  if ((m = message.match(/greater than (-?[\d.]+)/))) return `${label} must be more than ${m[1]} mm.`;
  if ((m = message.match(/less than or equal to (-?[\d.]+)/))) return `${label} can be at most ${m[1]} mm.`;
  if ((m = message.match(/less than (-?[\d.]+)/))) return `${label} must be less than ${m[1]} mm.`;
  if (/required|missing/i.test(message)) return `Enter the ${label.toLowerCase()}.`;
  if (/valid number|finite|float/i.test(message)) return `${label} must be a number.`;
  if (/at most \d+ characters?/.test(message)) return `${label} is too long.`;
  return plainWords(message);
}

// Which form control a server path names, and how the form calls it.
function fieldForPath(path) {
  const parts = path.split(".");
  if (parts[0] === "design") parts.shift();
  if (parts[0] === "rings") {
    if (parts.length === 1) return { node: $("rings-error"), label: "Rings", list: true };
    const n = Number(parts[1]) + 1;
    const kind = RING_FIELDS[parts[2]];
    const node = kind ? $(`ring-${n}-${kind}`) : null;
    const words = { width: "width", tile: "tile length", material: "material", pattern: "pattern" };
    return node ? { node, label: `Ring ${n} ${words[kind]}` } : { node: $("rings-error"), label: `Ring ${n}`, list: true };
  }
  const id = Object.keys(FIELDS).find((k) => FIELDS[k].key === parts[0]);
  if (id && parts.length === 1) return { node: $(id), label: FIELDS[id].label };
  if (parts[0] === "cut_soundhole") return { node: $("cut-soundhole"), label: "Cut the soundhole" };
  return null;
}

// Shows each detail next to its field; returns the details no field claims.
function showServerFieldErrors(details) {
  if (!Array.isArray(details)) return details;
  const rest = [];
  let first = null;
  for (const detail of details) {
    const path = detailPath(detail);
    const target = path && fieldForPath(path);
    if (!target) { rest.push(detail); continue; }
    const text = target.list ? plainWords(detail.message) : fieldMessage(detail, target.label);
    setFieldError(target.node, text);
    first = first || target.node;
  }
  if (first) {
    say("The design was not saved: fix the marked fields.");
    first.focus();
  }
  return rest;
}

function errorNodeFor(node) {
  if (node.id === "rings-error") return node;
  const id = `${node.id}-error`;
  let box = $(id);
  if (!box) {
    box = el("p", { id, className: "field-error" });
    (node.closest(".field, .ring-field") || node.parentElement).append(box);
  }
  return box;
}

function setFieldError(node, message) {
  const box = errorNodeFor(node);
  box.textContent = message;
  box.hidden = false;
  if (node.id !== "rings-error") {
    node.setAttribute("aria-invalid", "true");
    const described = new Set((node.getAttribute("aria-describedby") || "").split(" ").filter(Boolean));
    described.add(box.id);
    node.setAttribute("aria-describedby", [...described].join(" "));
  }
}

function clearFieldError(node) {
  const box = $(`${node.id}-error`);
  if (box) box.remove();
  node.removeAttribute("aria-invalid");
  const described = (node.getAttribute("aria-describedby") || "").split(" ").filter((x) => x && x !== `${node.id}-error`);
  if (described.length) node.setAttribute("aria-describedby", described.join(" "));
  else node.removeAttribute("aria-describedby");
}

function clearFieldErrors() {
  for (const node of document.querySelectorAll("[aria-invalid=true]")) clearFieldError(node);
  $("rings-error").hidden = true;
  $("rings-error").textContent = "";
}

function say(text) {
  $("status").textContent = text;
}

async function act(context, fn) {
  try {
    clearError();
    return await fn();
  } catch (err) {
    showError(err, context);
    return undefined;
  }
}

// ---------------------------------------------------------------- design form
// Reads the form into a design in mm, with a plain-words error per field that does not parse.
function readForm() {
  const errors = [];
  const design = {};
  for (const [id, field] of Object.entries(FIELDS)) {
    if (id === "soundhole" && !$("cut-soundhole").checked) continue;
    const read = readLength($(id).value, field.label, { required: !field.optional });
    if (read.error) errors.push({ node: $(id), message: read.error });
    else if (read.value !== null) design[field.key] = read.value;
    else if (!field.optional) design[field.key] = null;
  }
  design.cut_soundhole = $("cut-soundhole").checked;
  design.rings = state.rings.map((ring, index) => {
    const n = index + 1;
    const out = { pattern_type: ring.pattern_type };
    const width = readLength(ring.width, `Ring ${n} width`);
    if (width.error) errors.push({ node: $(`ring-${n}-width`), message: width.error });
    out.width_mm = width.error ? null : width.value;
    const tile = readLength(ring.tile, `Ring ${n} tile length`, { required: false });
    if (tile.error) errors.push({ node: $(`ring-${n}-tile`), message: tile.error });
    else if (tile.value !== null) out.tile_length_mm = tile.value;
    if (ring.material && ring.material.trim()) out.material = ring.material.trim();
    return out;
  });
  return { design, errors };
}

function readDesign() {
  return readForm().design;
}

function text(value) {
  return Number.isFinite(value) ? String(value) : "";
}

function fillDesign(design) {
  clearFieldErrors();
  $("outer").value = text(design.outer_diameter_mm);
  $("inner").value = text(design.inner_diameter_mm);
  $("depth").value = text(design.channel_depth_mm);
  $("top").value = text(design.top_thickness_mm);
  $("cut-soundhole").checked = Boolean(design.cut_soundhole);
  $("soundhole").value = text(design.soundhole_diameter_mm);
  state.rings = (design.rings || []).map((ring) => ({
    width: text(ring.width_mm),
    pattern_type: ring.pattern_type || "SOLID",
    tile: text(ring.tile_length_mm),
    material: ring.material || "",
  }));
  renderRings();
  designChanged(false);
}

// Checks one field as it is typed; an empty required field waits for the submit.
function checkField(node, label, optional = false) {
  const read = readLength(node.value, label, { required: !optional });
  if (read.error && node.value.trim()) setFieldError(node, read.error);
  else clearFieldError(node);
}

function ringRow(ring, index, count) {
  const n = index + 1;
  const id = (name) => `ring-${n}-${name}`;
  const width = el("input", { id: id("width"), type: "text", inputmode: "decimal", autocomplete: "off",
    spellcheck: "false", value: ring.width });
  width.addEventListener("input", () => {
    ring.width = width.value;
    checkField(width, `Ring ${n} width`);
    designChanged(true);
  });
  const pattern = el("select", { id: id("pattern") }, PATTERNS.map((p) => el("option", { value: p, text: p.toLowerCase(),
    selected: p === ring.pattern_type })));
  pattern.addEventListener("change", () => { ring.pattern_type = pattern.value; designChanged(true); });
  const tile = el("input", { id: id("tile"), type: "text", inputmode: "decimal", autocomplete: "off",
    spellcheck: "false", value: ring.tile });
  tile.addEventListener("input", () => {
    ring.tile = tile.value;
    checkField(tile, `Ring ${n} tile length`, true);
    designChanged(true);
  });
  const material = el("input", { id: id("material"), type: "text", maxlength: "80", value: ring.material || "" });
  material.addEventListener("input", () => { ring.material = material.value; designChanged(true); });

  const move = (delta, label, disabled) => el("button", {
    type: "button", className: "icon secondary", "aria-label": `Move ring ${n} ${label}`, disabled,
    text: delta < 0 ? "↑" : "↓",
    onclick: () => {
      const [moved] = state.rings.splice(index, 1);
      state.rings.splice(index + delta, 0, moved);
      renderRings();
      designChanged(true);
      const again = $(`ring-${index + delta + 1}-${delta < 0 ? "up" : "down"}`);
      (again && !again.disabled ? again : $(`ring-${index + delta + 1}-width`)).focus();
    },
  });
  const up = move(-1, "inwards", index === 0);
  up.id = id("up");
  const down = move(1, "outwards", index === count - 1);
  down.id = id("down");
  const remove = el("button", {
    type: "button", className: "icon danger", id: id("remove"), "aria-label": `Remove ring ${n}`, text: "✕",
    disabled: count === 1,
    onclick: () => {
      state.rings.splice(index, 1);
      renderRings();
      designChanged(true);
      ($(`ring-${Math.min(n, state.rings.length)}-width`) || $("add-ring")).focus();
    },
  });
  const where = count > 1 && index === 0 ? " (innermost)" : count > 1 && index === count - 1 ? " (outermost)" : "";
  const field = (input, words) => el("div", { className: "ring-field" }, [
    el("label", { for: input.id, text: `Ring ${n} ${words}` }), input,
  ]);
  return el("li", { className: "ring-row", "aria-label": `Ring ${n}${where}` }, [
    el("span", { className: "ring-number", text: `Ring ${n}${where}` }),
    field(width, "width (mm)"),
    field(pattern, "pattern"),
    field(tile, "tile length (mm)"),
    field(material, "material"),
    el("span", { className: "ring-actions" }, [up, down, remove]),
  ]);
}

function renderRings() {
  $("ring-list").replaceChildren(...state.rings.map((ring, i) => ringRow(ring, i, state.rings.length)));
}

function channelWidth(design) {
  return (design.outer_diameter_mm - design.inner_diameter_mm) / 2;
}

function designChanged(byUser) {
  if (byUser) state.dirty = true;
  const design = readDesign();
  drawRosette($("rosette-svg"), $("rosette-caption"), design, state.unit);
  const total = design.rings.reduce((sum, r) => sum + (Number.isFinite(r.width_mm) ? r.width_mm : 0), 0);
  const channel = channelWidth(design);
  const totalNote = $("ring-total");
  for (const id of Object.keys(FIELDS)) {
    const read = readLength($(id).value, FIELDS[id].label);
    $(`${id}-hint`).textContent = state.unit === "in" && read.value ? `= ${length(read.value, "in")}` : "";
  }
  if (Number.isFinite(channel)) {
    const off = Math.abs(total - channel) > 0.01;
    totalNote.textContent = `Ring widths add up to ${length(total, state.unit, 3)}; ` +
      `the channel is ${length(channel, state.unit, 3)} wide` + (off ? " — they must match." : ".");
    totalNote.classList.toggle("mismatch", off);
  } else {
    totalNote.textContent = "";
  }
  $("soundhole-field").hidden = !$("cut-soundhole").checked;
  renderSaveButton();
}

function renderSaveButton() {
  const session = state.session;
  const button = $("save-design");
  const editable = session ? session.state === "draft" && may("session.edit", session) : may("session.create");
  $("design-fields").disabled = !editable;
  $("ring-fields").disabled = !editable;
  $("session-name").disabled = !editable;
  button.hidden = !editable;
  button.textContent = session ? "Save design" : "Create session";
  button.disabled = Boolean(session) && !state.dirty;
  $("edit-note").textContent = !editable
    ? (!session ? "Pick a session from the list." : session.state === "draft" || !may("session.reopen", session)
      ? "Only the session's designer can change the design." : "Reopen the session to change the design.")
    : session && state.dirty ? "Unsaved changes." : "";
}

// Shows the form's own errors next to their fields; true when the design can be sent.
function validateForm() {
  clearFieldErrors();
  const { design, errors } = readForm();
  for (const { node, message } of errors) setFieldError(node, message);
  if (errors.length) {
    say(`The design was not saved: ${errors.length === 1 ? "one field needs" : `${errors.length} fields need`} fixing.`);
    errors[0].node.focus();
    return null;
  }
  return design;
}

async function saveDesign() {
  const design = validateForm();
  if (!design) return null;
  if (!state.session) {
    const session = await state.api.createSession(design, $("session-name").value.trim());
    state.dirty = false;
    say(`Session created (${shortId(session.session_id)}). Next: check its feasibility.`);
    setSession(session);
    state.hash = `#/sessions/${session.session_id}`;
    location.hash = state.hash;
    refreshSessions();
    return session;
  }
  const session = await state.api.updateDesign(state.session.session_id, design, state.session.version,
    $("session-name").value.trim());
  state.dirty = false;
  say("Design saved.");
  setSession(session);
  refreshSessions();
  return session;
}

// ---------------------------------------------------------------- session view
function shortId(id) {
  return String(id || "").slice(0, 8);
}

function setBadge(node, text, kind) {
  node.hidden = !text;
  node.textContent = text || "";
  node.className = `badge ${kind || ""}`;
}

function setSession(session, { keepForm = false } = {}) {
  state.session = session;
  if (!session) {
    setBadge($("session-state"), "");
    $("session-info").textContent = "A new design; nothing is saved until you create the session.";
    if (!keepForm) {
      fillDesign(DEFAULT_DESIGN);
      $("session-name").value = "";
    }
  } else {
    setBadge($("session-state"), STATE_LABELS[session.state] || session.state, `state-${session.state}`);
    $("session-info").textContent = `Session ${shortId(session.session_id)} · version ${session.version} · ` +
      `created ${dateTime(session.created_at)} · updated ${dateTime(session.updated_at)}`;
    if (!keepForm) {
      fillDesign(session.design);
      $("session-name").value = session.name || "";
    }
    // The picker shows the profile the stored check was made for, so a reload shows what was judged.
    const checked = session.feasibility && session.feasibility.cam_profile_id;
    if (checked && state.profiles && state.profiles.profiles.some((p) => p.id === checked)) {
      $("cam-profile").value = checked;
      describeProfile();
    }
  }
  $("plan-result").hidden = true;
  $("plan-box").hidden = true;
  $("drawings").hidden = !session;
  $("delete-session").hidden = !session;
  $("drawing-links").replaceChildren();
  state.dirty = keepForm ? state.dirty : false;
  renderSaveButton();
  renderSummary(session);
  renderFeasibility(session ? session.feasibility : null);
  renderWorkflow(session);
  renderPromote(session);
  renderRoleControls(session);
}

function renderSummary(session) {
  const box = $("design-summary");
  const summary = session && session.design_summary;
  if (!summary) { box.hidden = true; box.replaceChildren(); renderProfileAdvice(session); return; }
  const rows = [
    ["Rings", String(summary.ring_count)],
    ["Channel width", length(summary.channel_width_mm, state.unit)],
    ["Narrowest ring", length(summary.min_ring_width_mm, state.unit)],
    ["Complexity", summary.complexity ? `${summary.complexity.level} (${summary.complexity.score})` : "–"],
    ["Recommended bit", summary.tool_requirements
      ? `${bitName(summary.tool_requirements.recommended_tool_diameter_mm)} ` +
        `(${bitSize(summary.tool_requirements.recommended_tool_diameter_mm)})` : "–"],
    ["Profiles with that bit", summary.tool_requirements
      ? profilesWithBit(summary.tool_requirements.recommended_tool_diameter_mm) : "–"],
  ];
  box.replaceChildren(...rows.map(([k, v]) => el("div", {}, [el("dt", { text: k }), el("dd", { text: v, "data-figure": k })])));
  box.hidden = false;
  renderProfileAdvice(session);
}

// Whether a catalogue profile cuts with a bit of this diameter.
function cutsWith(profile, diameter) {
  return Boolean(profile.tool) && Math.abs(profile.tool.diameter_mm - diameter) < 1e-6;
}

// The recommendation comes from catalogue bits; naming the profiles that cut with it makes it
// read as advice about profiles, not as the bit the checked profile uses.
function profilesWithBit(diameter) {
  const using = state.profiles
    ? state.profiles.profiles.filter((p) => cutsWith(p, diameter)) : [];
  return using.length ? using.map((p) => p.name).join("; ") : "–";
}

function feasibilityIsCurrent(session) {
  const f = session && session.feasibility;
  return Boolean(f && f.design_fingerprint === session.design_fingerprint);
}

function checkFigure(check, value) {
  if (value === null || value === undefined) return "–";
  return check.id === "complexity" ? `${value}/100` : length(value, state.unit, 2);
}

function renderFeasibility(result) {
  const box = $("feasibility");
  const blocked = $("approve-blocked");
  state.feasibility = result;
  if (!result) {
    setBadge($("risk-badge"), "");
    $("feasibility-result").textContent = state.session ? "Not checked yet." : "Create the session to check it.";
    box.replaceChildren();
    blocked.hidden = true;
    return;
  }
  setBadge($("risk-badge"), `${result.risk_level}${result.passed ? "" : " · not feasible"}`, `risk-${result.risk_level}`);
  // Cards, not a table: the message is the part a luthier reads, at any screen width.
  box.replaceChildren(...(result.checks || []).map((check) => el("li", { className: `check-card check-${check.status}` }, [
    el("div", { className: "check-head" }, [
      el("span", { className: `badge risk-${check.risk}`, text: STATUS_WORDS[check.status] || check.status }),
      el("strong", { className: "check-name", text: CHECK_NAMES[check.id] || check.id }),
    ]),
    el("p", { className: "check-message", text: plainWords(check.message) }),
    // A check that measured nothing (no soundhole to cut) says so in its message alone.
    check.value == null && check.limit == null ? null : el("p", { className: "check-figures muted small",
      text: `Measured ${checkFigure(check, check.value)} · limit ${checkFigure(check, check.limit)}` }),
  ].filter(Boolean))));
  const when = result.evaluated_at ? dateTime(result.evaluated_at) : "";
  const forProfile = `with ${profileName(result.cam_profile_id)}`;
  $("feasibility-result").textContent = (result.passed
    ? `Feasible (${result.risk_level.toLowerCase()}) ${forProfile}: this design can be made. Checked ${when}.`
    : `Not feasible ${forProfile}: this design cannot be made as drawn. Checked ${when}.`) +
    (profileIsStale(result) ? ` You chose ${profileName(selectedProfile())}: check feasibility again for it.` : "");
  if (!result.passed) {
    const reasons = (result.checks || []).filter((c) => c.status === "fail").map((c) => plainWords(c.message));
    blocked.textContent = `This design cannot be approved: ${reasons.join("; ") || "a check failed"}.`;
    blocked.hidden = false;
  } else {
    blocked.hidden = true;
  }
}

function renderRoleControls(session) {
  $("new-session").hidden = !may("session.create");
  $("run-feasibility").hidden = !(session ? may("session.check", session) : may("session.create"));
}

function renderWorkflow(session) {
  const box = $("workflow-buttons");
  const history = $("history");
  const exportsBox = $("exports");
  if (!session) {
    box.replaceChildren(el("p", { className: "muted", text: "Create the session to start its review." }));
    history.replaceChildren();
    exportsBox.replaceChildren();
    return;
  }
  const approvable = feasibilityIsCurrent(session) && session.feasibility.passed;
  // Approval needs a current, passing check: the button is not offered until then.
  const actions = (ACTIONS[session.state] || [])
    .filter((a) => a.to !== "approved" || approvable)
    .filter((a) => may(a.exportDrawings ? "session.export" : TRANSITION_ACTIONS[`${session.state}>${a.to}`], session));
  const buttons = actions.map((action) => el("button", {
    type: "button",
    className: action.to === "rejected" ? "danger" : action.to === "draft" ? "secondary" : "",
    "data-action": action.to || "export",
    text: action.label,
    onclick: () => (action.exportDrawings ? exportDrawings() : transition(action.to, action.label)),
  }));
  const notes = [];
  if (session.state === "in_review" && !approvable && may("session.approve", session)) {
    notes.push(el("p", { className: "blocked", id: "approve-note",
      text: feasibilityIsCurrent(session)
        ? "Approve is not offered: this design failed its feasibility check. Reopen it to change the design."
        : "Approve is not offered until the current design passes a feasibility check; run it first." }));
  }
  box.replaceChildren(...buttons, ...notes);
  $("workflow-result").textContent = `This session is ${STATE_LABELS[session.state] || session.state}.` +
    (session.state === "approved" ? ` ${nextAfterApproval(session)}` : "");
  history.replaceChildren(...(session.history || []).map((h) => el("li", {
    text: `${dateTime(h.at)}: ${h.from_state || "–"} → ${h.to_state}` +
      `${h.actor ? ` by ${h.actor}` : ""}${h.note ? ` — ${h.note}` : ""}`,
  })));
}

// What an approved design waits for, said to whoever is looking at it.
function nextAfterApproval(session) {
  if ((session.promotions || []).length) return "It has been promoted to CAM; its job is below.";
  return may("session.promote", session) ? "Next: promote it to CAM."
    : "Next, its owner or an operator promotes it to CAM.";
}

async function transition(toState, label) {
  const note = $("transition-note").value.trim();
  // The API records who made the move from the verified token, not from the body.
  const body = { to_state: toState, version: state.session.version };
  if (note) body.note = note;
  const session = await act(label, () => state.api.transition(state.session.session_id, body));
  if (!session) return;
  $("transition-note").value = "";
  say(`${label}: the session is now ${STATE_LABELS[session.state] || session.state}.`);
  setSession(session);
  refreshSessions();
  $("workflow-result").focus();
}

async function exportDrawings() {
  const reply = await act("Export drawings", () => state.api.exportSession(state.session.session_id));
  if (!reply) return;
  setSession(reply.session);
  const links = Object.entries(reply.downloads || {}).map(([kind, url]) => el("a", {
    href: url, className: "secondary-link", text: `Download ${kind.toUpperCase()} drawing`, download: "",
  }));
  $("exports").replaceChildren(...links);
  say("Drawings exported.");
  refreshSessions();
}

async function runFeasibility() {
  await act("Feasibility check", async () => {
    if (!state.session || state.dirty) {
      if (state.session && state.session.state !== "draft") return;
      if (!(await saveDesign())) return;
    }
    const result = await state.api.feasibility(state.session.session_id, selectedProfile());
    const session = await state.api.getSession(state.session.session_id);
    setSession(session, { keepForm: true });
    renderFeasibility(result);
    // Counts finished checks: two checks within one second read the same, and tests wait on this.
    $("feasibility-result").dataset.checks = String(Number($("feasibility-result").dataset.checks || 0) + 1);
    // The list is sorted by last change, and a check is a change.
    refreshSessions();
    say(`Feasibility: ${result.risk_level}, ${result.passed ? "feasible" : "not feasible"}.`);
    $("feasibility-result").focus();
  });
}

async function showDrawings() {
  const reply = await act("Drawings", () => state.api.drawings(state.session.session_id));
  if (!reply) return;
  $("drawing-links").replaceChildren(...Object.entries(reply.downloads || {}).map(([kind, url]) => el("a", {
    href: url, className: "secondary-link", text: `${kind.toUpperCase()} drawing`, download: "",
  })));
  say("Drawings ready.");
}

async function deleteSession() {
  const session = state.session;
  if (!session || !window.confirm(`Delete session ${session.name || shortId(session.session_id)}? This cannot be undone.`)) return;
  const done = await act("Deleting the session", () => state.api.deleteSession(session.session_id, session.version));
  if (done === undefined) return;
  state.dirty = false;
  state.hash = "";
  if (location.hash) history.pushState(null, "", location.pathname + location.search);
  setSession(null);
  say("Session deleted.");
  refreshSessions();
}

// ---------------------------------------------------------------- sessions list
function sessionLabel(session) {
  const d = session.design || {};
  const rings = d.rings || [];
  const widths = rings.map((r) => fmt(r.width_mm, 2)).join("/");
  const size = state.unit === "in"
    ? `${length(d.inner_diameter_mm, "in")}–${length(d.outer_diameter_mm, "in")}`
    : `${fmt(d.inner_diameter_mm, 1)}–${fmt(d.outer_diameter_mm, 1)} mm`;
  const shape = `${size}, ${rings.length} ring${rings.length === 1 ? "" : "s"} (${widths} mm)`;
  return session.name ? `${session.name} — ${shape}` : shape;
}

function sessionItem(session) {
  const current = state.session && state.session.session_id === session.session_id;
  return el("li", {}, [el("a", {
    href: `#/sessions/${session.session_id}`,
    "aria-current": current ? "true" : null,
    className: current ? "current" : "",
  }, [
    el("span", { className: `badge state-${session.state}`, text: STATE_LABELS[session.state] || session.state }),
    el("span", { className: "session-name", text: sessionLabel(session) }),
    // The list is sorted by last change, so it shows the time it is sorted by.
    el("span", { className: "muted small session-time",
      text: `${shortId(session.session_id)} · changed ${dateTime(session.updated_at)}` }),
  ])]);
}

async function refreshSessions(more = false) {
  await act("Loading sessions", async () => {
    const page = await state.api.listSessions(more ? state.cursor : null);
    const list = $("session-list");
    const items = page.items.map(sessionItem);
    if (more) list.append(...items); else list.replaceChildren(...items);
    state.cursor = page.next_cursor;
    $("more-sessions").hidden = !page.next_cursor;
    $("sessions-empty").hidden = list.children.length > 0;
  });
}

// ---------------------------------------------------------------- CAM
async function loadProfiles() {
  const select = $("cam-profile");
  try {
    state.profiles = await state.api.profiles();
  } catch (err) {
    select.replaceChildren(el("option", { value: "", text: "(profiles unavailable)" }));
    $("profile-info").textContent = `The CAM profiles could not be loaded: ${err.message}`;
    return;
  }
  select.replaceChildren(...state.profiles.profiles.map((p) => el("option", {
    value: p.id, text: p.name || p.id, selected: p.id === state.profiles.default,
  })));
  const checked = state.session && state.session.feasibility && state.session.feasibility.cam_profile_id;
  if (checked && state.profiles.profiles.some((p) => p.id === checked)) $("cam-profile").value = checked;
  describeProfile();
  if (state.session) {
    renderSummary(state.session);
    renderFeasibility(state.session.feasibility);
    renderPromote(state.session);
  }
}

function selectedProfile() {
  return $("cam-profile").value || (state.profiles && state.profiles.default) || null;
}

function profileName(id) {
  const profile = state.profiles && state.profiles.profiles.find((p) => p.id === id);
  return profile ? `${profile.name || id}` : (id || "the default CAM profile");
}

// A stored check made for another profile than the one chosen says nothing about the chosen one.
function profileIsStale(result) {
  return Boolean(result && result.cam_profile_id && selectedProfile() && result.cam_profile_id !== selectedProfile());
}

// The summary's recommended bit, turned into the profile that cuts with it on the same machine
// (post) and material as the chosen one; none when the catalogue has no such profile. Only
// offered to who checks designs.
function advisedProfile(session) {
  const summary = session && session.design_summary;
  const wanted = summary && summary.tool_requirements && summary.tool_requirements.recommended_tool_diameter_mm;
  const chosen = state.profiles && state.profiles.profiles.find((p) => p.id === selectedProfile());
  if (!wanted || !chosen || !chosen.tool || cutsWith(chosen, wanted)) return null;
  return state.profiles.profiles.find((p) => cutsWith(p, wanted) && p.post === chosen.post &&
    p.material && chosen.material && p.material.id === chosen.material.id) || null;
}

function renderProfileAdvice(session) {
  const advised = may("session.check", session) ? advisedProfile(session) : null;
  $("profile-advice").hidden = !advised;
  if (!advised) return;
  const width = session.design_summary.channel_width_mm;
  const bit = advised.tool.diameter_mm;
  $("profile-advice-text").textContent = `A ${length(width, state.unit)} channel is best cut with a ` +
    `${bitName(bit)} bit: ` + (2 * bit <= width + 1e-6
    ? "the largest that still leaves each wall a pass of its own, so the fewest passes."
    : "the largest that fits it.");
  $("use-advised-profile").textContent = `Use ${advised.name || advised.id}`;
  $("use-advised-profile").dataset.profile = advised.id;
}

function useAdvisedProfile() {
  $("cam-profile").value = $("use-advised-profile").dataset.profile;
  profileChanged();
  say(`CAM profile: ${profileName(selectedProfile())}. Check feasibility with it.`);
  $("run-feasibility").focus();
}

function profileChanged() {
  describeProfile();
  renderProfileAdvice(state.session);
  if (state.feasibility) renderFeasibility(state.feasibility);
  renderPromote(state.session);
}

function describeProfile() {
  const profile = state.profiles && state.profiles.profiles.find((p) => p.id === $("cam-profile").value);
  if (!profile) { $("profile-info").textContent = ""; return; }
  const tool = profile.tool || {};
  const bits = [profile.description, tool.diameter_mm ? `${tool.name || "bit"} (${bitSize(tool.diameter_mm)})` : null,
    profile.post ? `${profile.post} post` : null].filter(Boolean);
  $("profile-info").textContent = bits.join(" · ");
}

function renderPromote(session) {
  const approved = Boolean(session && ["approved", "exported"].includes(session.state));
  const stale = profileIsStale(session && session.feasibility);
  const passed = Boolean(session && session.feasibility && session.feasibility.passed);
  const allowed = approved && !stale && passed;
  const mayPromote = may("session.promote", session);
  $("promote").hidden = !mayPromote;
  $("promote").disabled = !allowed;
  $("promote-note").textContent = !mayPromote ? "Promoting to CAM is for the design's owner and operators."
    : !approved ? "Approve the design to promote it to CAM."
    : stale ? `The design was checked with ${profileName(session.feasibility.cam_profile_id)}; ` +
      `check feasibility with ${profileName(selectedProfile())} before promoting with it.`
    : !passed ? `The design is not feasible with ${profileName(session.feasibility && session.feasibility.cam_profile_id)}; ` +
      "choose another profile and check again."
    : `Promotes with ${profileName(session.feasibility.cam_profile_id)}, the profile it was checked with.`;
  // The session's jobs come from the server, so any signed-in browser finds them.
  const promotions = (session && session.promotions) || [];
  state.promotions = promotions;
  renderPromotions($("promotions"), $("promotions-box"), promotions, (link) => followJob(link.promotion_request_id));
  const latest = latestPromotion(promotions);
  if (!session || !latest) stopJob();
  else if (!promotions.some((p) => p.promotion_request_id === state.jobId)) followJob(latest.promotion_request_id);
}

// What the job would be, before committing to it: time and toolpath from POST /plan.
async function planPreview() {
  const profile = state.profiles && state.profiles.profiles.find((p) => p.id === selectedProfile());
  if (!profile) return;
  const design = state.session && !state.dirty ? state.session.design : validateForm();
  if (!design) return;
  const plan = await act("Toolpath preview", () => state.api.plan(rosetteIntent(design, profile)));
  if (!plan) return;
  const totals = (plan.report && plan.report.totals) || {};
  $("plan-result").textContent = `With ${profile.name}: estimated machining time ${formatDuration(totals.estimated_time_s)}, ` +
    `cut length ${length(totals.cut_length_mm, state.unit, 1)}. Nothing is sent to CAM until you promote.`;
  $("plan-result").hidden = false;
  $("plan-box").hidden = false;
  showToolpath($("plan-svg"), $("plan-caption"), parseGcode(plan.program));
  say(`Preview: about ${formatDuration(totals.estimated_time_s)} of machining.`);
  $("plan-result").focus();
}

async function promote() {
  const reply = await act("Promote to CAM", () => state.api.promote(state.session.session_id, selectedProfile()));
  if (!reply) return;
  const request = reply.request;
  say(`Promoted to CAM: job ${shortId(request.promotion_request_id)} is ${request.status}.`);
  const session = await act("Reloading the session", () => state.api.getSession(state.session.session_id));
  if (session) setSession(session, { keepForm: true });
  followJob(request.promotion_request_id, true);
  $("job-title").focus();
}

async function retryJob() {
  const jobId = state.jobId;
  if (!jobId) return;
  const reply = await act("Retry the CAM job", () => state.api.retryJob(jobId));
  if (!reply) return;
  say(`CAM job ${shortId(jobId)}: attempt ${reply.job.attempt} queued.`);
  followJob(jobId, true);
}

// The sheet is an authenticated API route, which a plain link cannot open (it sends no
// token): the page fetches it with the token and links to the fetched copy.
async function showSetupSheet(path) {
  const anchor = $("setup-sheet");
  if (anchor.dataset.source === path && !anchor.hidden) return;
  let html;
  try {
    html = await state.api.html(path.replace(/^\/api/, ""));
  } catch (err) {
    return;  // the job panel still works; the sheet link just stays hidden
  }
  if (anchor.href && anchor.href.startsWith("blob:")) URL.revokeObjectURL(anchor.href);
  anchor.href = URL.createObjectURL(new Blob([html], { type: "text/html" }));
  anchor.dataset.source = path;
  anchor.hidden = false;
}

function promotionOf(jobId) {
  return (state.promotions || []).find((p) => p.promotion_request_id === jobId) || null;
}

function stopJob() {
  clearTimeout(state.pollTimer);
  state.pollTimer = null;
  state.jobId = null;
  state.job = null;
  setBadge($("job-state"), "");
  $("job-retry").hidden = true;
  $("job-info").textContent = "No job yet. Promote an approved design to start one.";
  for (const id of ["report", "job-warnings", "toolpath", "download-gcode", "download-report", "download-preview",
    "job-profile", "setup-sheet"]) $(id).hidden = true;
}

function followJob(jobId, fresh = false) {
  stopJob();
  state.jobId = jobId;
  state.pollMisses = 0;
  $("job-info").textContent = `Job ${shortId(jobId)}: waiting for the CAM worker…`;
  pollJob(jobId, fresh);
}

async function pollJob(jobId, fresh) {
  if (state.jobId !== jobId) return;
  let job;
  try {
    job = await state.api.job(jobId);
  } catch (err) {
    // The job record appears with the request; a short 404 window is not an error yet.
    if (err.status === 404 && fresh && state.pollMisses < 10) {
      state.pollMisses += 1;
      state.pollTimer = setTimeout(() => pollJob(jobId, fresh), 1000);
      return;
    }
    showError(err, "CAM job status");
    return;
  }
  if (state.jobId !== jobId) return;
  const previous = state.job && state.job.status;
  state.job = job;
  renderJob(job);
  if (job.status !== previous) say(`CAM job ${shortId(jobId)} is ${job.status}.`);
  if (!FINAL.includes(job.status)) {
    state.pollTimer = setTimeout(() => pollJob(jobId, fresh), 1000);
  } else if (job.status === "completed") {
    await showArtifacts(job);
  }
}

function formatDuration(seconds) {
  if (!Number.isFinite(seconds)) return "–";
  const total = Math.round(seconds);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  return h ? `${h} h ${m} min` : m ? `${m} min ${s} s` : `${s} s`;
}

function renderJob(job) {
  setBadge($("job-state"), job.status, `job-${job.status}`);
  // Only a failed job can be run again (the server refuses the rest with 409), and only by
  // its owner or an operator: the job record names its owner.
  $("job-retry").hidden = job.status !== "failed" || !may("job.retry", { owner_sub: job.owner_sub || null });
  const info = [`Job ${job.job_id}`, `status ${job.status}`];
  if (job.reason) info.push(job.reason);
  $("job-info").textContent = info.join(" · ");
  const link = promotionOf(job.job_id);
  if (link) {
    $("job-profile").textContent = `Cut with ${link.cam_profile_name || link.cam_profile_id}` +
      (job.report && job.report.tool ? `, ${job.report.tool.name}` : "") +
      (job.report && job.report.material ? `, ${job.report.material.name}` : "") + ".";
    $("job-profile").hidden = false;
    showSetupSheet(link.setup_sheet_url);
  }
  const report = job.report;
  const box = $("report");
  if (!report || !report.totals) { box.hidden = true; return; }
  const t = report.totals;
  const rows = [
    ["Estimated time", formatDuration(t.estimated_time_s)],
    ["Cut length", length(t.cut_length_mm, state.unit, 1)],
    ["Rapid length", length(t.rapid_length_mm, state.unit, 1)],
    ["Moves", String(t.moves ?? "–")],
    ["Retracts", String(t.retracts ?? "–")],
    ["Post", String(report.post ?? "–")],
  ];
  if (report.tool && report.tool.diameter_mm) {
    // A bit's name is a phrase, not a figure: it gets the whole row.
    rows.push(["Tool", `${report.tool.name || bitName(report.tool.diameter_mm)} (${bitSize(report.tool.diameter_mm)})`,
      "wide"]);
  }
  box.replaceChildren(...rows.map(([k, v, className = ""]) => el("div", { className },
    [el("dt", { text: k }), el("dd", { text: v, "data-figure": k })])));
  box.hidden = false;
  const warnings = [...(report.warnings || []), ...(report.operations || []).flatMap((op) => op.warnings || [])];
  $("job-warnings").replaceChildren(...warnings.map((w) => el("li", { text: typeof w === "string" ? w : w.message || JSON.stringify(w) })));
  $("job-warnings").hidden = warnings.length === 0;
}

async function showArtifacts(job) {
  // Links are offered only to who may download; the API leaves them out for the others too.
  const downloads = may("job.download", state.session) ? job.downloads || {} : {};
  const link = (id, url, name) => {
    const a = $(id);
    if (!url) { a.hidden = true; return; }
    a.href = url;
    a.setAttribute("download", name);
    a.hidden = false;
  };
  const promo = promotionOf(job.job_id);
  const named = promo && promo.program_file_name;
  const base = named ? named.replace(/\.nc$/, "") : `rosette-${shortId(job.job_id)}`;
  link("download-report", downloads["report.json"], `${base}-report.json`);
  link("download-preview", downloads["preview.svg"], `${base}-preview.svg`);
  const programUrl = downloads["program.nc"];
  if (!programUrl) return;
  // Until the program has been read the link points at storage directly.
  link("download-gcode", programUrl, `${base}.nc`);
  await act("Loading the G-code", async () => {
    const program = await fetchText(programUrl);
    if (state.jobId !== job.job_id) return;
    if (state.blobUrl) URL.revokeObjectURL(state.blobUrl);
    state.blobUrl = URL.createObjectURL(new Blob([program], { type: "text/plain" }));
    link("download-gcode", state.blobUrl, `${base}.nc`);
    const parsed = parseGcode(program);
    $("toolpath").hidden = false;
    state.viewer = showToolpath($("toolpath-svg"), $("toolpath-caption"), parsed);
  });
}

// ---------------------------------------------------------------- routing and wiring
// Unsaved edits are only lost after the luthier says so.
function confirmDiscard() {
  return !state.dirty || window.confirm("This design has unsaved changes. Discard them?");
}

async function openFromHash() {
  const match = location.hash.match(/^#\/sessions\/([0-9a-fA-F-]{36})$/);
  const same = match ? state.session && state.session.session_id === match[1] : !state.session;
  if (!same && !confirmDiscard()) {
    // Put the address back without another hashchange.
    history.replaceState(null, "", state.hash || location.pathname + location.search);
    return;
  }
  state.hash = location.hash;
  if (!match) {
    if (state.session) setSession(null);
    return;
  }
  if (same) return;
  const session = await act("Opening the session", () => state.api.getSession(match[1]));
  if (session) {
    setSession(session);
    refreshSessions();
  }
}

function wire() {
  for (const [id, field] of Object.entries(FIELDS)) {
    $(id).addEventListener("input", () => {
      checkField($(id), field.label, field.optional);
      designChanged(true);
    });
  }
  for (const radio of document.querySelectorAll("input[name=unit]")) {
    radio.checked = radio.value === state.unit;
    radio.addEventListener("change", () => { if (radio.checked) changeUnit(radio.value); });
  }
  window.addEventListener("beforeunload", (event) => {
    if (!state.dirty) return;
    event.preventDefault();
    event.returnValue = "";
  });
  $("cut-soundhole").addEventListener("change", () => designChanged(true));
  $("session-name").addEventListener("input", () => designChanged(true));
  $("add-ring").addEventListener("click", () => {
    state.rings.push({ width: "1", pattern_type: "SOLID", tile: "", material: "" });
    renderRings();
    designChanged(true);
    $(`ring-${state.rings.length}-width`).focus();
  });
  $("fit-rings").addEventListener("click", () => {
    const design = readDesign();
    const channel = channelWidth(design);
    if (!Number.isFinite(channel) || !state.rings.length) return;
    const others = design.rings.slice(0, -1).reduce((s, r) => s + (Number.isFinite(r.width_mm) ? r.width_mm : 0), 0);
    state.rings[state.rings.length - 1].width = String(Math.round((channel - others) * 1000) / 1000);
    renderRings();
    designChanged(true);
  });
  $("design-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const creating = !state.session;
    const saved = await act(creating ? "Creating the session" : "Saving the design", saveDesign);
    // The next step is the check, so the keyboard lands right before it.
    if (saved) $("feasibility-title").focus();
  });
  $("run-feasibility").addEventListener("click", runFeasibility);
  $("new-session").addEventListener("click", () => {
    if (!confirmDiscard()) return;
    clearError();
    state.dirty = false;
    state.hash = "";
    if (location.hash) history.pushState(null, "", location.pathname + location.search);
    setSession(null);
    refreshSessions();
    $("design-title").focus();
  });
  $("more-sessions").addEventListener("click", () => refreshSessions(true));
  $("cam-profile").addEventListener("change", profileChanged);
  $("use-advised-profile").addEventListener("click", useAdvisedProfile);
  $("drawings").addEventListener("click", showDrawings);
  $("delete-session").addEventListener("click", deleteSession);
  $("promote").addEventListener("click", promote);
  $("job-retry").addEventListener("click", retryJob);
  $("plan-preview").addEventListener("click", planPreview);
  $("zoom-in").addEventListener("click", () => state.viewer && state.viewer.zoomIn());
  $("zoom-out").addEventListener("click", () => state.viewer && state.viewer.zoomOut());
  $("zoom-reset").addEventListener("click", () => state.viewer && state.viewer.reset());
  window.addEventListener("hashchange", openFromHash);
}

function changeUnit(unit) {
  state.unit = unit === "in" ? "in" : "mm";
  setUnit(state.unit);
  designChanged(false);
  renderSummary(state.session);
  renderFeasibility(state.feasibility);
  if (state.job) renderJob(state.job);
  if (state.entered) refreshSessions();
}

// ---------------------------------------------------------------- signing in
function roleWords(groups) {
  const known = ROLE_ORDER.filter((r) => groups.includes(r));
  return known.length ? known.join(", ") : "no role";
}

function showSignIn(message = "") {
  state.entered = false;
  delete document.body.dataset.user;
  stopJob();
  state.session = null;
  $("session-list").replaceChildren();
  $("app").hidden = true;
  $("account").hidden = true;
  $("sign-in").hidden = false;
  $("password").value = "";
  // After a sign-out the next person starts blank; after an expiry the same user signs in again.
  if (!message) $("username").value = "";
  const box = $("sign-in-error");
  box.textContent = message;
  box.hidden = !message;
  if (message) say(message);
  (message ? box : $("username")).focus();
}

async function enterApp() {
  const { username, groups } = state.auth.user;
  $("sign-in").hidden = true;
  $("signed-in-as").textContent = `Signed in as ${username} (${roleWords(groups)})`;
  $("account").hidden = false;
  $("app").hidden = false;
  state.entered = true;
  setSession(null);
  await Promise.all([refreshSessions(), loadProfiles(), openFromHash()]);
  document.body.dataset.user = username;
}

async function signIn(event) {
  event.preventDefault();
  clearError();
  for (const id of ["username", "password"]) clearFieldError($(id));
  $("sign-in-error").hidden = true;
  const username = $("username").value.trim();
  const password = $("password").value;
  const missing = [];
  if (!username) missing.push([$("username"), "Enter your user name."]);
  if (!password) missing.push([$("password"), "Enter your password."]);
  for (const [node, message] of missing) setFieldError(node, message);
  if (missing.length) {
    say("Not signed in: fill in the marked fields.");
    missing[0][0].focus();
    return;
  }
  const button = $("sign-in-button");
  button.disabled = true;
  try {
    await state.auth.signIn(username, password);
  } catch (err) {
    $("password").value = "";
    const box = $("sign-in-error");
    box.textContent = err.message;
    box.hidden = false;
    say(`Not signed in: ${err.message}`);
    box.focus();
    return;
  } finally {
    button.disabled = false;
  }
  say(`Signed in as ${username}.`);
  await enterApp();
  $("design-title").focus();
}

function signOut() {
  if (!confirmDiscard()) return;
  state.dirty = false;
  clearError();
  state.auth.signOut();
  say("Signed out.");
}

async function start() {
  state.unit = getUnit();
  wire();
  $("sign-in-form").addEventListener("submit", signIn);
  $("sign-out").addEventListener("click", signOut);
  let config;
  try {
    config = await loadConfig();
  } catch (err) {
    showError(err, "Starting the page");
    document.body.dataset.ready = "true";
    return;
  }
  $("api-info").textContent = `API: ${config.apiBase || location.origin}`;
  if (!config.cognito) {
    showError(new ApiError(0, "sign_in_not_configured", "This site's config.json names no user pool, so nobody can sign in."),
      "Starting the page");
    document.body.dataset.ready = "true";
    return;
  }
  state.auth = new Auth(config.cognito);
  state.auth.onSignedOut = (expired) => showSignIn(expired ? "Your sign-in has ended. Sign in again to carry on." : "");
  state.api = new Api(config.apiBase, state.auth);
  setSession(null);
  if (await state.auth.restore()) await enterApp();
  else showSignIn();
  document.body.dataset.ready = "true";
}

start();
