// The session's CAM jobs, as the server lists them: one per promotion request, with its profile and status.
import { el } from "./svg.js";
import { dateTime } from "./units.js";

export function latestPromotion(promotions) {
  return promotions && promotions.length ? promotions[promotions.length - 1] : null;
}

export function renderPromotions(list, box, promotions, onShow) {
  box.hidden = !promotions || promotions.length < 2;
  list.replaceChildren(...(promotions || []).map((p) => el("li", {}, [
    el("button", {
      type: "button", className: "secondary-link link-button",
      text: `Show job: ${p.cam_profile_name || p.cam_profile_id} (${p.status})`,
      onclick: () => onShow(p),
    }),
    p.created_at ? el("span", { className: "muted small", text: ` · ${dateTime(p.created_at)}` }) : null,
  ].filter(Boolean))));
}
