// Small pieces shared by the pages: headings, badges, the SLA clock, loading and error states.

import { h } from "./dom.js";
import { t, tOr, formatDateTime, formatDuration } from "./i18n.js";

/** The page's h1 (focused after navigation, so screen readers hear where they are). */
export function pageHeading(title, subtitle) {
  return h(
    "div",
    { class: "page-heading" },
    h("h1", { tabindex: "-1", "data-testid": "page-title" }, title),
    subtitle ? h("p", { class: "page-subtitle" }, subtitle) : null,
  );
}

/** kind: neutral | info | success | warning | danger | signal */
export function badge(text, kind = "neutral", attrs = {}) {
  return h("span", { class: `badge badge-${kind}`, ...attrs }, text);
}

const STATUS_KIND = {
  received: "info",
  in_review: "info",
  awaiting_citizen: "warning",
  resolved: "success",
  closed: "neutral",
  abandoned: "danger",
};
export const OPEN_STATUSES = ["received", "in_review", "awaiting_citizen"];

export function statusLabel(status) {
  return tOr(`status.${status}`, status);
}

export function statusBadge(status) {
  return badge(statusLabel(status), STATUS_KIND[status] || "neutral", { "data-status": status });
}

const CONFIDENCE_KIND = { verified: "success", high: "success", medium: "info", ambiguous: "warning", unknown: "neutral" };

export function confidenceBadge(confidence) {
  return badge(
    t("confidence.label", { value: tOr(`confidence.${confidence}`, confidence) }),
    CONFIDENCE_KIND[confidence] || "neutral",
    { "data-testid": "confidence", "data-confidence": confidence },
  );
}

export function fullName(given, family) {
  const name = [given, family].filter(Boolean).join(" ");
  return name || t("citizen.unnamed");
}

/** The SLA clock of a case's current step: time left until step_due_at, or overdue since. */
export function slaClock(caseSummary, now = Date.now()) {
  const open = OPEN_STATUSES.includes(caseSummary.status);
  if (!open || !caseSummary.step_due_at) {
    return h("p", { class: "sla sla-none", "data-testid": "sla-clock", "data-sla": "none" }, t("sla.none"));
  }
  const due = new Date(caseSummary.step_due_at).getTime();
  const left = due - now;
  const overdue = left < 0;
  const soon = !overdue && left < 24 * 3600 * 1000;
  const state = overdue ? "overdue" : soon ? "soon" : "ok";
  const text = overdue
    ? t("sla.overdue", { duration: formatDuration(left) })
    : t("sla.left", { duration: formatDuration(left) });
  return h(
    "p",
    { class: `sla sla-${state}`, "data-testid": "sla-clock", "data-sla": state },
    h("span", { class: "sla-icon", "aria-hidden": "true" }, overdue ? "⚠" : "⏱"),
    " ",
    h("strong", {}, text),
    " ",
    h("span", { class: "sla-due" }, t("sla.due", { at: formatDateTime(caseSummary.step_due_at) })),
  );
}

export function loadingBox(text = t("common.loading")) {
  return h("p", { class: "loading", role: "status", "data-testid": "loading" }, text);
}

export function emptyState(text, testid = "empty") {
  return h("p", { class: "empty", "data-testid": testid }, text);
}

/** An API error, in words. */
export function errorMessage(error) {
  if (!error) return t("error.generic");
  if (error.status === 0) return t("error.network", { detail: error.message });
  if (error.status === 403) return t("error.forbidden", { detail: error.message });
  if (error.status === 404) return t("error.notFound", { detail: error.message });
  return error.message || t("error.generic");
}

export function errorBox(error) {
  return h("div", { class: "error-box", "data-testid": "error" }, h("p", {}, errorMessage(error)));
}

/** A citizen or merge id, shown in full but compact and selectable. */
export function idText(id) {
  return h("code", { class: "id" }, id);
}

/** A case reference's link (resolved by the #/case route to the citizen's page). */
export function caseLink(reference) {
  return h("a", { href: `#/case/${encodeURIComponent(reference)}`, class: "case-ref" }, reference);
}
