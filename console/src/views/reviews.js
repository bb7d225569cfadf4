// Revisión: identity matches in the grey band. The contact's claims beside each candidate; accept one or reject.

import { api } from "../api.js";
import { h, mount, field } from "../dom.js";
import { t, tOr, formatDateTime, formatNumber, formatDate } from "../i18n.js";
import { can, currentUser } from "../auth.js";
import { announce } from "../live.js";
import { href } from "../router.js";
import { channelLabel } from "../channels.js";
import { pageHeading, badge, fullName, idText, loadingBox, emptyState, errorMessage } from "../components.js";
import { evidenceTable, evidenceText } from "./identifiers.js";

export async function renderReviews(container, route, ctx) {
  mount(container, pageHeading(t("reviews.title"), t("reviews.intro")), loadingBox());
  const { reviews = [] } = await api.reviews();
  const open = reviews.filter((r) => (r.status || "open") === "open");
  // Each side's record, read once: the provisional record holds what the contact claimed.
  const ids = new Set();
  open.forEach((r) => {
    if (r.citizen_id) ids.add(r.citizen_id);
    r.candidates.forEach((c) => ids.add(c.citizen_id));
  });
  const records = new Map();
  await Promise.all(
    [...ids].map((id) =>
      api
        .citizen(id, { limit: 10 })
        .then((record) => records.set(id, record))
        .catch(() => records.set(id, null)),
    ),
  );
  if (!ctx.isCurrent()) return null;

  const decide = can("decideReview");
  mount(
    container,
    pageHeading(t("reviews.title"), t("reviews.intro")),
    decide ? null : h("p", { class: "notice", "data-testid": "read-only-notice" }, t("reviews.readOnly")),
    h("p", { class: "muted", "data-testid": "review-count" }, t("reviews.count", { count: open.length })),
    open.length
      ? h("div", { class: "review-list" }, open.map((r) => reviewCard(r, records, decide, () => ctx.reload())))
      : emptyState(t("reviews.none"), "reviews-empty"),
  );
  return null;
}

function reviewCard(review, records, decide, onDone) {
  const titleId = `review-${review.review_id}`;
  const reason = h("textarea", { name: "reason", rows: 2, minlength: 3, maxlength: 2000, "data-testid": "review-reason" });
  const buttons = [];
  const submit = async (decision, citizenId) => {
    const text = reason.value.trim();
    if (text && text.length < 3) {
      announce(t("form.invalid", { field: t("reviews.reason") }), "error");
      reason.focus();
      return;
    }
    buttons.forEach((b) => (b.disabled = true));
    try {
      await api.decideReview(review.review_id, {
        decision,
        actor: currentUser().username,
        ...(citizenId ? { citizen_id: citizenId } : {}),
        ...(text ? { reason: text } : {}),
      });
      announce(decision === "accept" ? t("reviews.accepted", { id: citizenId }) : t("reviews.rejected"), "success");
      await onDone();
    } catch (error) {
      announce(errorMessage(error), "error");
      buttons.forEach((b) => (b.disabled = false));
    }
  };

  const candidates = review.candidates.map((candidate) => {
    const accept = decide
      ? h("button", { type: "button", class: "button button-primary", "data-testid": "review-accept", "data-citizen-id": candidate.citizen_id }, t("reviews.accept"))
      : null;
    if (accept) {
      accept.addEventListener("click", () => submit("accept", candidate.citizen_id));
      buttons.push(accept);
    }
    return candidateSide(candidate, records.get(candidate.citizen_id), accept);
  });

  const reject = decide ? h("button", { type: "button", class: "button button-danger", "data-testid": "review-reject" }, t("reviews.reject")) : null;
  if (reject) {
    reject.addEventListener("click", () => submit("reject", null));
    buttons.push(reject);
  }

  return h(
    "article",
    { class: "card review", "aria-labelledby": titleId, "data-testid": "review", "data-review-id": review.review_id, "data-kind": review.kind },
    h(
      "div",
      { class: "card-header" },
      h("h2", { id: titleId }, tOr(`reviews.kind.${review.kind}`, review.kind)),
      badge(t("reviews.openedAt", { at: formatDateTime(review.created_at) }), "neutral"),
    ),
    h("p", { class: "muted" }, tOr(`reviews.explain.${review.kind}`, "")),
    h("div", { class: "review-grid" }, claimsSide(review, records.get(review.citizen_id)), candidates),
    decide
      ? h(
          "div",
          { class: "review-decision" },
          field({ label: t("reviews.reason"), control: reason, hint: t("reviews.reasonHint") }),
          h("div", { class: "form-actions" }, reject),
        )
      : null,
  );
}

/** What the contact said: the provisional record it created (possible match) or the shared identifier. */
function claimsSide(review, provisional) {
  const entry = provisional?.timeline?.find((e) => e.touchpoint_id === review.touchpoint_id);
  const shared = review.candidates[0]?.evidence;
  return h(
    "section",
    { class: "review-side review-claims", "data-testid": "review-claims", "aria-label": t("reviews.claims") },
    h("h3", {}, t("reviews.claims")),
    h("p", { class: "muted small" }, t("reviews.touchpoint"), " ", idText(review.touchpoint_id)),
    provisional ? personFacts(provisional) : null,
    entry
      ? h(
          "p",
          {},
          channelLabel(entry.channel),
          " ",
          h("time", { datetime: entry.occurred_at }, formatDateTime(entry.occurred_at)),
          entry.text ? h("span", { class: "entry-text" }, " — ", entry.text) : null,
        )
      : null,
    !provisional && shared ? h("p", {}, t("reviews.sharedBy", { evidence: evidenceText(shared) })) : null,
    !provisional && !shared ? h("p", { class: "muted" }, t("reviews.noClaims")) : null,
  );
}

function candidateSide(candidate, record, accept) {
  return h(
    "section",
    { class: "review-side review-candidate", "data-testid": "review-candidate", "data-citizen-id": candidate.citizen_id, "aria-label": t("reviews.candidate") },
    h(
      "h3",
      {},
      record ? h("a", { href: href("citizen", { id: candidate.citizen_id }) }, fullName(record.given_name, record.family_name)) : idText(candidate.citizen_id),
    ),
    h("p", { class: "score" }, t("reviews.score", { score: formatNumber(candidate.score, 2) })),
    record ? personFacts(record) : h("p", { class: "muted" }, t("reviews.unreadable")),
    evidenceTable(candidate.evidence),
    accept ? h("div", { class: "form-actions" }, accept) : null,
  );
}

function personFacts(record) {
  return h(
    "dl",
    { class: "facts compact" },
    h("div", { class: "fact" }, h("dt", {}, t("citizen.name")), h("dd", {}, fullName(record.given_name, record.family_name))),
    record.birth_date ? h("div", { class: "fact" }, h("dt", {}, t("citizen.birthDate")), h("dd", {}, formatDate(`${record.birth_date}T12:00:00Z`))) : null,
    (record.identifiers || []).map((i) =>
      h("div", { class: "fact" }, h("dt", {}, tOr(`identifier.kind.${i.kind}`, i.kind)), h("dd", {}, i.value)),
    ),
    h("div", { class: "fact" }, h("dt", {}, t("citizen.id")), h("dd", {}, idText(record.citizen_id))),
  );
}
