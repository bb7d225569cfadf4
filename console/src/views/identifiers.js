// The citizen's identifiers, each with why it belongs to them (rule, evidence) from GET /identity.

import { h } from "../dom.js";
import { t, tOr, formatDateTime, formatNumber } from "../i18n.js";
import { channelLabel } from "../channels.js";
import { badge, idText } from "../components.js";

/** "sole-holder:phone" → "Único titular del teléfono" (the rule code is shown beside it). */
export function ruleText(rule) {
  if (!rule) return t("rule.unknown");
  const whole = tOr(`rule.${rule}`, null);
  if (whole) return whole;
  const [name, detail] = rule.split(/:(.*)/s);
  if (!detail) return tOr(`rule.${name}`, rule);
  const detailText = name === "bridge" ? ruleText(detail) : tOr(`identifier.kind.${detail}`, tOr(`rule.${detail}`, detail));
  return tOr(`rule.${name}`, rule, { detail: detailText });
}

/** evidence {score, fields: {phone: {level, weight}}, veto} → "teléfono: exacto (+7,9) · …" */
export function evidenceText(evidence) {
  const fields = evidence && evidence.fields ? Object.entries(evidence.fields) : [];
  const parts = fields.map(
    ([name, f]) =>
      `${tOr(`field.${name}`, name)}: ${tOr(`level.${f.level}`, f.level)} (${f.weight > 0 ? "+" : ""}${formatNumber(f.weight, 1)})`,
  );
  if (evidence && evidence.veto) parts.push(t("identity.veto", { veto: evidence.veto }));
  if (!parts.length && evidence && evidence.review_id) parts.push(t("identity.byReview", { actor: evidence.decided_by || "?" }));
  return parts.join(" · ");
}

export function evidenceTable(evidence) {
  const fields = evidence && evidence.fields ? Object.entries(evidence.fields) : [];
  if (!fields.length) return null;
  return h(
    "table",
    { class: "evidence-table" },
    h("caption", { class: "visually-hidden" }, t("identity.evidence")),
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, t("identity.field")), h("th", { scope: "col" }, t("identity.level")), h("th", { scope: "col", class: "num" }, t("identity.weight")))),
    h(
      "tbody",
      {},
      fields.map(([name, f]) =>
        h(
          "tr",
          {},
          h("th", { scope: "row" }, tOr(`field.${name}`, name)),
          h("td", {}, tOr(`level.${f.level}`, f.level)),
          h("td", { class: "num" }, `${f.weight > 0 ? "+" : ""}${formatNumber(f.weight, 2)}`),
        ),
      ),
    ),
  );
}

export function identifiersSection(citizen, identity) {
  const links = new Map((identity?.touchpoints || []).map((tp) => [tp.touchpoint_id, tp]));
  const identifiers = identity?.identifiers?.length ? identity.identifiers : citizen.identifiers || [];
  return h(
    "section",
    { class: "panel", "aria-labelledby": "identifiers-title" },
    h("h2", { id: "identifiers-title" }, t("identity.title")),
    identifiers.length
      ? h("ul", { class: "identifier-list" }, identifiers.map((i) => identifierItem(i, links.get(i.touchpoint_id), citizen.citizen_id)))
      : h("p", { class: "empty" }, t("identity.none")),
  );
}

function identifierItem(identifier, link, citizenId) {
  const why = [h("strong", {}, ruleText(identifier.rule)), " ", h("code", { class: "rule-code" }, identifier.rule || "—")];
  const evidence = link ? evidenceText(link.evidence) : "";
  return h(
    "li",
    { class: "identifier", "data-testid": "identifier", "data-kind": identifier.kind },
    h(
      "div",
      { class: "identifier-head" },
      h("span", { class: "identifier-kind" }, tOr(`identifier.kind.${identifier.kind}`, identifier.kind)),
      h("span", { class: "identifier-value" }, identifier.value),
      identifier.verified ? badge(t("identity.verified"), "success") : null,
    ),
    h(
      "p",
      { class: "why", "data-testid": "identifier-why" },
      h("span", { class: "why-label" }, t("identity.why")),
      " ",
      why,
      evidence ? h("span", { class: "evidence" }, " — ", evidence) : null,
    ),
    h(
      "p",
      { class: "muted small" },
      identifier.since ? t("identity.since", { at: formatDateTime(identifier.since) }) : null,
      link ? h("span", {}, " · ", t("identity.cameWith"), " ", channelLabel(link.channel), " ", formatDateTime(link.occurred_at)) : null,
      identifier.held_by && identifier.held_by !== citizenId ? h("span", {}, " · ", t("identity.heldBy"), " ", idText(identifier.held_by)) : null,
    ),
  );
}
