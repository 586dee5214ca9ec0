// The page: sessions, the rosette editor, feasibility, the workflow, promotion and the CAM job.
import { Api, ApiError, fetchText, loadConfig } from "./api.js";
import { drawRosette, PATTERNS } from "./rosette.js";
import { el, fmt } from "./svg.js";
import { parseGcode, showToolpath } from "./toolpath.js";

const $ = (id) => document.getElementById(id);

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

const state = {
  api: null,
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
  const where = apiErr.status ? `HTTP ${apiErr.status}, ${apiErr.code}` : apiErr.code;
  const children = [
    el("p", {}, [el("strong", { text: `${context}: ` }), document.createTextNode(apiErr.message)]),
    el("p", { className: "muted", text: `(${where})` }),
  ];
  if (Array.isArray(apiErr.details) && apiErr.details.length) {
    children.push(el("ul", {}, apiErr.details.map((d) => el("li", {
      text: d && typeof d === "object" ? `${d.path || "body"}: ${d.message || JSON.stringify(d)}` : String(d),
    }))));
  }
  children.push(el("button", { type: "button", className: "secondary", text: "Dismiss", onclick: clearError }));
  box.replaceChildren(...children);
  box.hidden = false;
  box.focus();
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
function numberOrNull(input) {
  const value = input.valueAsNumber;
  return Number.isFinite(value) ? value : null;
}

function readDesign() {
  const design = {
    outer_diameter_mm: numberOrNull($("outer")),
    inner_diameter_mm: numberOrNull($("inner")),
    channel_depth_mm: numberOrNull($("depth")),
    top_thickness_mm: numberOrNull($("top")),
    cut_soundhole: $("cut-soundhole").checked,
    rings: state.rings.map((ring) => {
      const out = { width_mm: Number.isFinite(ring.width_mm) ? ring.width_mm : null, pattern_type: ring.pattern_type };
      if (Number.isFinite(ring.tile_length_mm)) out.tile_length_mm = ring.tile_length_mm;
      if (ring.material && ring.material.trim()) out.material = ring.material.trim();
      return out;
    }),
  };
  const hole = numberOrNull($("soundhole"));
  if (design.cut_soundhole && hole !== null) design.soundhole_diameter_mm = hole;
  return design;
}

function fillDesign(design) {
  $("outer").value = design.outer_diameter_mm ?? "";
  $("inner").value = design.inner_diameter_mm ?? "";
  $("depth").value = design.channel_depth_mm ?? "";
  $("top").value = design.top_thickness_mm ?? "";
  $("cut-soundhole").checked = Boolean(design.cut_soundhole);
  $("soundhole").value = design.soundhole_diameter_mm ?? "";
  state.rings = (design.rings || []).map((ring) => ({
    width_mm: ring.width_mm,
    pattern_type: ring.pattern_type || "SOLID",
    tile_length_mm: ring.tile_length_mm ?? NaN,
    material: ring.material || "",
  }));
  renderRings();
  designChanged(false);
}

function ringRow(ring, index, count) {
  const n = index + 1;
  const id = (name) => `ring-${n}-${name}`;
  const width = el("input", { id: id("width"), type: "number", step: "0.1", min: "0", inputmode: "decimal",
    value: Number.isFinite(ring.width_mm) ? ring.width_mm : "" });
  width.addEventListener("input", () => { ring.width_mm = width.valueAsNumber; designChanged(true); });
  const pattern = el("select", { id: id("pattern") }, PATTERNS.map((p) => el("option", { value: p, text: p.toLowerCase(),
    selected: p === ring.pattern_type })));
  pattern.addEventListener("change", () => { ring.pattern_type = pattern.value; designChanged(true); });
  const tile = el("input", { id: id("tile"), type: "number", step: "0.1", min: "0", inputmode: "decimal",
    value: Number.isFinite(ring.tile_length_mm) ? ring.tile_length_mm : "" });
  tile.addEventListener("input", () => { ring.tile_length_mm = tile.valueAsNumber; designChanged(true); });
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
  return el("li", { className: "ring-row", "aria-label": `Ring ${n}` }, [
    el("span", { className: "ring-number", text: String(n), "aria-hidden": "true" }),
    el("label", { for: id("width") }, [document.createTextNode("Width (mm)"), width]),
    el("label", { for: id("pattern") }, [document.createTextNode("Pattern"), pattern]),
    el("label", { for: id("tile") }, [document.createTextNode("Tile length (mm)"), tile]),
    el("label", { for: id("material") }, [document.createTextNode("Material"), material]),
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
  drawRosette($("rosette-svg"), $("rosette-caption"), design);
  const total = design.rings.reduce((sum, r) => sum + (Number.isFinite(r.width_mm) ? r.width_mm : 0), 0);
  const channel = channelWidth(design);
  const totalNote = $("ring-total");
  if (Number.isFinite(channel)) {
    const off = Math.abs(total - channel) > 0.01;
    totalNote.textContent = `Ring widths add up to ${fmt(total, 3)} mm; the channel is ${fmt(channel, 3)} mm wide` +
      (off ? " — they must match." : ".");
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
  const editable = !session || session.state === "draft";
  $("design-fields").disabled = !editable;
  $("ring-fields").disabled = !editable;
  button.hidden = !editable;
  button.textContent = session ? "Save design" : "Create session";
  button.disabled = Boolean(session) && !state.dirty;
  $("edit-note").textContent = !editable ? "Reopen the session to change the design."
    : session && state.dirty ? "Unsaved changes." : "";
}

async function saveDesign() {
  const design = readDesign();
  if (!state.session) {
    const session = await state.api.createSession(design);
    state.dirty = false;
    say(`Session created (${shortId(session.session_id)}).`);
    setSession(session);
    location.hash = `#/sessions/${session.session_id}`;
    refreshSessions();
    return session;
  }
  const session = await state.api.updateDesign(state.session.session_id, design, state.session.version);
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
    if (!keepForm) fillDesign(DEFAULT_DESIGN);
  } else {
    setBadge($("session-state"), STATE_LABELS[session.state] || session.state, `state-${session.state}`);
    $("session-info").textContent = `Session ${shortId(session.session_id)} · version ${session.version} · ` +
      `updated ${new Date(session.updated_at).toLocaleString()}`;
    if (!keepForm) fillDesign(session.design);
  }
  state.dirty = keepForm ? state.dirty : false;
  renderSaveButton();
  renderSummary(session);
  renderFeasibility(session ? session.feasibility : null);
  renderWorkflow(session);
  renderPromote(session);
}

function renderSummary(session) {
  const box = $("design-summary");
  const summary = session && session.design_summary;
  if (!summary) { box.hidden = true; box.replaceChildren(); return; }
  const rows = [
    ["Rings", String(summary.ring_count)],
    ["Channel width", `${fmt(summary.channel_width_mm)} mm`],
    ["Narrowest ring", `${fmt(summary.min_ring_width_mm)} mm`],
    ["Complexity", summary.complexity ? `${summary.complexity.level} (${summary.complexity.score})` : "–"],
    ["Recommended bit", summary.tool_requirements ? `${fmt(summary.tool_requirements.recommended_tool_diameter_mm, 3)} mm` : "–"],
  ];
  box.replaceChildren(...rows.map(([k, v]) => el("div", {}, [el("dt", { text: k }), el("dd", { text: v })])));
  box.hidden = false;
}

function feasibilityIsCurrent(session) {
  const f = session && session.feasibility;
  return Boolean(f && f.design_fingerprint === session.design_fingerprint);
}

function renderFeasibility(result) {
  const box = $("feasibility");
  const blocked = $("approve-blocked");
  if (!result) {
    setBadge($("risk-badge"), "");
    box.replaceChildren(el("p", { className: "muted", text: state.session ? "Not checked yet." : "Create the session to check it." }));
    blocked.hidden = true;
    return;
  }
  setBadge($("risk-badge"), `${result.risk_level}${result.passed ? "" : " · not feasible"}`, `risk-${result.risk_level}`);
  const rows = (result.checks || []).map((check) => el("tr", { className: `check-${check.status}` }, [
    el("td", {}, [el("span", { className: `badge risk-${check.risk}`, text: check.risk })]),
    el("th", { scope: "row", text: check.id }),
    el("td", { text: check.status }),
    el("td", { text: check.message }),
    el("td", { text: check.value === null || check.value === undefined ? "–" : String(check.value) }),
    el("td", { text: check.limit === null || check.limit === undefined ? "–" : String(check.limit) }),
  ]));
  box.replaceChildren(
    el("table", { className: "checks" }, [
      el("caption", { text: `${result.ruleset || "Checks"}: ${result.passed ? "passed" : "failed"}, ` +
        `evaluated ${result.evaluated_at ? new Date(result.evaluated_at).toLocaleString() : ""}` }),
      el("thead", {}, [el("tr", {}, ["Risk", "Check", "Status", "Message", "Value", "Limit"].map((h) => el("th", { scope: "col", text: h })))]),
      el("tbody", {}, rows),
    ]),
  );
  if (!result.passed) {
    const reasons = (result.checks || []).filter((c) => c.risk === "RED" || c.status === "fail").map((c) => c.message);
    blocked.textContent = `This design cannot be approved: ${reasons.join(" ") || "a check failed."}`;
    blocked.hidden = false;
  } else {
    blocked.hidden = true;
  }
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
  const buttons = (ACTIONS[session.state] || []).map((action) => el("button", {
    type: "button",
    className: action.to === "rejected" ? "danger" : action.to === "draft" ? "secondary" : "",
    "data-action": action.to || "export",
    text: action.label,
    onclick: () => (action.exportDrawings ? exportDrawings() : transition(action.to, action.label)),
  }));
  const notes = [];
  if (session.state === "in_review" && !(feasibilityIsCurrent(session) && session.feasibility.passed)) {
    notes.push(el("p", { className: "blocked", id: "approve-note",
      text: feasibilityIsCurrent(session)
        ? "Approval needs a passing feasibility check; this design's check failed."
        : "Approval needs a feasibility check of the current design; run it first." }));
  }
  box.replaceChildren(...buttons, ...notes);
  history.replaceChildren(...(session.history || []).map((h) => el("li", {
    text: `${new Date(h.at).toLocaleString()}: ${h.from_state || "–"} → ${h.to_state}` +
      `${h.actor ? ` by ${h.actor}` : ""}${h.note ? ` — ${h.note}` : ""}`,
  })));
}

async function transition(toState, label) {
  const note = $("transition-note").value.trim();
  const body = { to_state: toState, actor: "web", version: state.session.version };
  if (note) body.note = note;
  const session = await act(label, () => state.api.transition(state.session.session_id, body));
  if (!session) return;
  $("transition-note").value = "";
  say(`${label}: the session is now ${STATE_LABELS[session.state] || session.state}.`);
  setSession(session);
  refreshSessions();
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
      await saveDesign();
    }
    const result = await state.api.feasibility(state.session.session_id);
    const session = await state.api.getSession(state.session.session_id);
    setSession(session, { keepForm: true });
    renderFeasibility(result);
    say(`Feasibility: ${result.risk_level}, ${result.passed ? "feasible" : "not feasible"}.`);
  });
}

// ---------------------------------------------------------------- sessions list
function sessionLabel(session) {
  const d = session.design || {};
  return `${fmt(d.inner_diameter_mm, 1)}–${fmt(d.outer_diameter_mm, 1)} mm, ${(d.rings || []).length} rings`;
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
    el("span", { className: "muted small", text: `${shortId(session.session_id)} · ${new Date(session.updated_at).toLocaleString()}` }),
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
  describeProfile();
}

function describeProfile() {
  const profile = state.profiles && state.profiles.profiles.find((p) => p.id === $("cam-profile").value);
  if (!profile) { $("profile-info").textContent = ""; return; }
  const tool = profile.tool || {};
  const bits = [profile.description, tool.diameter_mm ? `${fmt(tool.diameter_mm, 3)} mm bit` : null,
    profile.post ? `${profile.post} post` : null].filter(Boolean);
  $("profile-info").textContent = bits.join(" · ");
}

function renderPromote(session) {
  const allowed = Boolean(session && ["approved", "exported"].includes(session.state));
  $("promote").disabled = !allowed;
  $("promote-note").textContent = allowed ? "" : "Approve the design to promote it to CAM.";
  const remembered = session && localStorage.getItem(`luthier-cam.job.${session.session_id}`);
  if (!session) stopJob();
  else if (remembered && remembered !== state.jobId) followJob(remembered);
  else if (!remembered && state.jobId) stopJob();
}

async function promote() {
  const profileId = $("cam-profile").value || null;
  const reply = await act("Promote to CAM", () => state.api.promote(state.session.session_id, profileId));
  if (!reply) return;
  const request = reply.request;
  localStorage.setItem(`luthier-cam.job.${state.session.session_id}`, request.promotion_request_id);
  say(`Promoted to CAM: job ${shortId(request.promotion_request_id)} is ${request.status}.`);
  followJob(request.promotion_request_id, true);
}

function stopJob() {
  clearTimeout(state.pollTimer);
  state.pollTimer = null;
  state.jobId = null;
  state.job = null;
  setBadge($("job-state"), "");
  $("job-info").textContent = "No job yet. Promote an approved design to start one.";
  for (const id of ["report", "job-warnings", "toolpath", "download-gcode", "download-report", "download-preview"]) $(id).hidden = true;
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
  const info = [`Job ${job.job_id}`, `status ${job.status}`];
  if (job.reason) info.push(job.reason);
  $("job-info").textContent = info.join(" · ");
  const report = job.report;
  const box = $("report");
  if (!report || !report.totals) { box.hidden = true; return; }
  const t = report.totals;
  const rows = [
    ["Estimated time", formatDuration(t.estimated_time_s)],
    ["Cut length", `${fmt(t.cut_length_mm, 1)} mm`],
    ["Rapid length", `${fmt(t.rapid_length_mm, 1)} mm`],
    ["Moves", String(t.moves ?? "–")],
    ["Retracts", String(t.retracts ?? "–")],
    ["Post", String(report.post ?? "–")],
  ];
  if (report.tool && report.tool.diameter_mm) rows.push(["Tool", `${fmt(report.tool.diameter_mm, 3)} mm`]);
  box.replaceChildren(...rows.map(([k, v]) => el("div", {}, [el("dt", { text: k }), el("dd", { text: v, "data-figure": k })])));
  box.hidden = false;
  const warnings = [...(report.warnings || []), ...(report.operations || []).flatMap((op) => op.warnings || [])];
  $("job-warnings").replaceChildren(...warnings.map((w) => el("li", { text: typeof w === "string" ? w : w.message || JSON.stringify(w) })));
  $("job-warnings").hidden = warnings.length === 0;
}

async function showArtifacts(job) {
  const downloads = job.downloads || {};
  const link = (id, url, name) => {
    const a = $(id);
    if (!url) { a.hidden = true; return; }
    a.href = url;
    a.setAttribute("download", name);
    a.hidden = false;
  };
  const base = `rosette-${shortId(job.job_id)}`;
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
async function openFromHash() {
  const match = location.hash.match(/^#\/sessions\/([0-9a-fA-F-]{36})$/);
  if (!match) {
    if (state.session) setSession(null);
    return;
  }
  if (state.session && state.session.session_id === match[1]) return;
  const session = await act("Opening the session", () => state.api.getSession(match[1]));
  if (session) {
    setSession(session);
    refreshSessions();
  }
}

function wire() {
  for (const id of ["outer", "inner", "depth", "top", "soundhole"]) $(id).addEventListener("input", () => designChanged(true));
  $("cut-soundhole").addEventListener("change", () => designChanged(true));
  $("add-ring").addEventListener("click", () => {
    state.rings.push({ width_mm: 1, pattern_type: "SOLID", tile_length_mm: NaN, material: "" });
    renderRings();
    designChanged(true);
    $(`ring-${state.rings.length}-width`).focus();
  });
  $("fit-rings").addEventListener("click", () => {
    const design = readDesign();
    const channel = channelWidth(design);
    if (!Number.isFinite(channel) || !state.rings.length) return;
    const others = state.rings.slice(0, -1).reduce((s, r) => s + (Number.isFinite(r.width_mm) ? r.width_mm : 0), 0);
    state.rings[state.rings.length - 1].width_mm = Math.round((channel - others) * 1000) / 1000;
    renderRings();
    designChanged(true);
  });
  $("design-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    await act(state.session ? "Saving the design" : "Creating the session", saveDesign);
  });
  $("run-feasibility").addEventListener("click", runFeasibility);
  $("new-session").addEventListener("click", () => {
    clearError();
    if (location.hash) location.hash = "";
    setSession(null);
    $("design-title").focus();
  });
  $("more-sessions").addEventListener("click", () => refreshSessions(true));
  $("cam-profile").addEventListener("change", describeProfile);
  $("promote").addEventListener("click", promote);
  $("zoom-in").addEventListener("click", () => state.viewer && state.viewer.zoomIn());
  $("zoom-out").addEventListener("click", () => state.viewer && state.viewer.zoomOut());
  $("zoom-reset").addEventListener("click", () => state.viewer && state.viewer.reset());
  window.addEventListener("hashchange", openFromHash);
}

async function start() {
  wire();
  setSession(null);
  let config;
  try {
    config = await loadConfig();
  } catch (err) {
    showError(err, "Starting the page");
    return;
  }
  state.api = new Api(config.apiBase);
  $("api-info").textContent = `API: ${config.apiBase || location.origin}`;
  await Promise.all([refreshSessions(), loadProfiles(), openFromHash()]);
  document.body.dataset.ready = "true";
}

start();
