// Merges of this citizen (with split), and merging another record into this one. Supervisors only act.

import { api } from "../api.js";
import { h, field } from "../dom.js";
import { t, formatDateTime } from "../i18n.js";
import { can, currentUser } from "../auth.js";
import { href } from "../router.js";
import { badge, idText } from "../components.js";
import { actionForm } from "./action-form.js";
import { ruleText, evidenceText } from "./identifiers.js";

const CITIZEN_ID = "^cit-[0-9a-f]{32}$";

export function stewardshipSection(citizen, identity, onChanged) {
  const merges = identity?.merges || [];
  const canMerge = can("merge");
  if (!merges.length && !canMerge) return null;
  return h(
    "section",
    { class: "panel", "aria-labelledby": "stewardship-title", "data-testid": "stewardship" },
    h("h2", { id: "stewardship-title" }, t("stewardship.title")),
    h("h3", {}, t("stewardship.merges")),
    merges.length
      ? h("ul", { class: "merge-list" }, merges.map((m) => mergeItem(citizen, m, onChanged)))
      : h("p", { class: "muted" }, t("stewardship.noMerges")),
    canMerge ? mergeForm(citizen, onChanged) : null,
  );
}

function mergeItem(citizen, merge, onChanged) {
  const active = (merge.status || "active") === "active";
  return h(
    "li",
    { class: "merge", "data-testid": "merge-record", "data-merge-id": merge.merge_id, "data-status": merge.status || "active" },
    h(
      "p",
      {},
      badge(active ? t("stewardship.active") : t("stewardship.splitDone"), active ? "info" : "neutral"),
      " ",
      t("stewardship.absorbed"),
      " ",
      h("a", { href: href("citizen", { id: merge.absorbed }) }, merge.absorbed),
      " → ",
      t("stewardship.survivor"),
      " ",
      idText(merge.survivor),
    ),
    h(
      "p",
      { class: "why" },
      h("span", { class: "why-label" }, t("identity.why")),
      " ",
      h("strong", {}, ruleText(merge.rule)),
      " ",
      h("code", { class: "rule-code" }, merge.rule),
      merge.evidence && evidenceText(merge.evidence) ? h("span", { class: "evidence" }, " — ", evidenceText(merge.evidence)) : null,
    ),
    h(
      "p",
      { class: "muted small" },
      formatDateTime(merge.at),
      merge.actor ? ` · ${t("history.by", { actor: merge.actor })}` : "",
      merge.reason ? ` · ${t("stewardship.reasonWas", { reason: merge.reason })}` : "",
      merge.split_at ? ` · ${t("stewardship.splitAt", { at: formatDateTime(merge.split_at), actor: merge.split_by || "?" })}` : "",
      merge.split_reason ? ` · ${t("stewardship.reasonWas", { reason: merge.split_reason })}` : "",
    ),
    h("p", { class: "muted small" }, t("stewardship.mergeId"), " ", idText(merge.merge_id)),
    active && can("split") ? splitForm(citizen, merge, onChanged) : null,
  );
}

function splitForm(citizen, merge, onChanged) {
  const reason = h("textarea", { name: "reason", rows: 2, minlength: 3, maxlength: 2000, "data-testid": "split-reason" });
  return actionForm({
    testid: "split-form",
    submitTestid: "split-submit",
    submitLabel: t("stewardship.splitSubmit"),
    className: "split-form",
    fields: [field({ label: t("stewardship.splitReason"), control: reason, required: true, hint: t("common.reasonHint") })],
    onSubmit: async () => {
      const result = await api.split(citizen.citizen_id, { merge_id: merge.merge_id, actor: currentUser().username, reason: reason.value.trim() });
      return t("stewardship.splitOk", { id: result.restored_citizen_id });
    },
    onDone: onChanged,
  });
}

function mergeForm(citizen, onChanged) {
  const other = h("input", {
    type: "text",
    name: "citizen_id",
    autocomplete: "off",
    spellcheck: "false",
    pattern: CITIZEN_ID,
    placeholder: "cit-…",
    "data-testid": "merge-citizen-id",
  });
  const reason = h("textarea", { name: "reason", rows: 2, minlength: 3, maxlength: 2000, "data-testid": "merge-reason" });
  return h(
    "div",
    { class: "merge-form-wrap" },
    h("h3", {}, t("stewardship.mergeTitle")),
    h("p", { class: "muted" }, t("stewardship.mergeIntro")),
    actionForm({
      testid: "merge-form",
      submitTestid: "merge-submit",
      submitLabel: t("stewardship.mergeSubmit"),
      fields: [
        field({ label: t("stewardship.otherId"), control: other, required: true, hint: t("stewardship.otherIdHint") }),
        field({ label: t("common.reason"), control: reason, required: true, hint: t("common.reasonHint") }),
      ],
      onSubmit: async () => {
        const absorbed = other.value.trim();
        if (absorbed === citizen.citizen_id) throw new Error(t("stewardship.sameCitizen"));
        await api.merge(citizen.citizen_id, { citizen_id: absorbed, actor: currentUser().username, reason: reason.value.trim() });
        return t("stewardship.mergeOk", { id: absorbed });
      },
      onDone: onChanged,
    }),
  );
}
