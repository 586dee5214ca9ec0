// The HTTP API as the page uses it. Every failure becomes an ApiError carrying
// the server's {code, message, details}, so the page can show it as it is.

// apiBase ends with the "/api" prefix every route shares (http://127.0.0.1:8001/api locally).
export const ART = "/art/design-first-workflow";
export const CAM = "/rmos/cam";

export class ApiError extends Error {
  constructor(status, code, message, details = null) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

// Where one error detail points, as a dotted path ("design.rings.0.width_mm").
// The one place the page reads the shape of an error detail.
export function detailPath(detail) {
  if (!detail || typeof detail !== "object") return null;
  const path = detail.path;
  return typeof path === "string" && path ? path : null;
}

export async function loadConfig() {
  const reply = await fetch("config.json", { cache: "no-store" });
  if (!reply.ok) throw new ApiError(reply.status, "config_missing", "The page's config.json could not be loaded.");
  const config = await reply.json();
  const cognito = config.cognito && config.cognito.clientId ? config.cognito : null;
  return { apiBase: String(config.apiBase || "").replace(/\/+$/, ""), cognito };
}

function errorFrom(status, body, text) {
  if (body && typeof body === "object") {
    if (body.code && body.message) return new ApiError(status, body.code, body.message, body.details ?? null);
    // promote_to_cam refuses with the seed's own shape.
    if (body.ok === false && body.blocked_reason) {
      return new ApiError(status, "promotion_blocked", body.blocked_reason, null);
    }
    if (body.message) return new ApiError(status, `http_${status}`, body.message, null);
  }
  return new ApiError(status, `http_${status}`, text ? text.slice(0, 300) : `The server answered HTTP ${status}.`);
}

export class Api {
  // auth gives the ID token for each call and is told when the API refuses it.
  constructor(base, auth) {
    this.base = base;
    this.auth = auth;
  }

  // A route that answers HTML (the set-up sheet): fetched with the token, read as text.
  async html(path) {
    return this.request("GET", path, undefined, true);
  }

  async request(method, path, body, asText = false) {
    let token;
    try {
      token = await this.auth.token();
    } catch (err) {
      // A refresh that failed ends the sign-in; a call after signing out just stops.
      if (this.auth.signedIn) this.auth.signOut(true);
      throw new ApiError(401, "signed_out", err.message);
    }
    const init = { method, headers: { Authorization: `Bearer ${token}` } };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let reply;
    try {
      reply = await fetch(this.base + path, init);
    } catch (err) {
      throw new ApiError(0, "unreachable", `Cannot reach the API at ${this.base || "this site"}: ${err.message}`);
    }
    const text = await reply.text();
    if (reply.status === 401) this.auth.signOut(true);
    if (asText && reply.ok) return text;
    let data = null;
    if (text) {
      try { data = JSON.parse(text); } catch { data = null; }
    }
    if (!reply.ok) throw errorFrom(reply.status, data, text);
    return data;
  }

  listSessions(cursor) {
    const query = new URLSearchParams({ limit: "20" });
    if (cursor) query.set("cursor", cursor);
    return this.request("GET", `${ART}/sessions?${query}`);
  }
  getSession(id) { return this.request("GET", `${ART}/sessions/${encodeURIComponent(id)}`); }
  createSession(design, name) {
    return this.request("POST", `${ART}/sessions`, name ? { design, name } : { design });
  }
  updateDesign(id, design, version, name) {
    const body = name ? { design, version, name } : { design, version };
    return this.request("PUT", `${ART}/sessions/${encodeURIComponent(id)}/design`, body);
  }
  deleteSession(id, version) {
    return this.request("DELETE", `${ART}/sessions/${encodeURIComponent(id)}?version=${encodeURIComponent(version)}`);
  }
  feasibility(id, profileId) {
    const body = profileId ? { cam_profile_id: profileId } : undefined;
    return this.request("POST", `${ART}/sessions/${encodeURIComponent(id)}/feasibility`, body);
  }
  drawings(id) { return this.request("GET", `${ART}/sessions/${encodeURIComponent(id)}/drawings`); }
  // Server paths the API hands out ("/api/...") as full addresses on this API's host.
  href(path) { return this.base.replace(/\/api$/, "") + path; }
  transition(id, body) { return this.request("POST", `${ART}/sessions/${encodeURIComponent(id)}/transition`, body); }
  exportSession(id) { return this.request("POST", `${ART}/sessions/${encodeURIComponent(id)}/export`); }
  promote(id, profileId) {
    const query = profileId ? `?cam_profile_id=${encodeURIComponent(profileId)}` : "";
    return this.request("POST", `${ART}/sessions/${encodeURIComponent(id)}/promote_to_cam${query}`);
  }
  profiles() { return this.request("GET", `${CAM}/profiles`); }
  plan(intent) { return this.request("POST", `${CAM}/plan`, intent); }
  job(id) { return this.request("GET", `${CAM}/jobs/${encodeURIComponent(id)}`); }
  retryJob(id) { return this.request("POST", `${CAM}/jobs/${encodeURIComponent(id)}/retry`); }
}

// Artifacts come from presigned storage links, not from the API.
export async function fetchText(url) {
  let reply;
  try {
    reply = await fetch(url);
  } catch (err) {
    throw new ApiError(0, "unreachable", `Cannot download ${new URL(url).pathname}: ${err.message}`);
  }
  const text = await reply.text();
  if (!reply.ok) throw new ApiError(reply.status, "download_failed", `Downloading the file failed (HTTP ${reply.status}).`);
  return text;
}
