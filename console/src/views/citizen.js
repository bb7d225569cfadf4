// Ciudadano 360: who, identifiers and why, cases with their SLA clock, one timeline, and the actions allowed.

import { h, mount } from "../dom.js";
import { t, getLanguage, formatDate } from "../i18n.js";
import { canAct } from "../auth.js";
import { href } from "../router.js";
import { pageHeading, fullName, idText, loadingBox, emptyState, OPEN_STATUSES } from "../components.js";
import { identifiersSection } from "./identifiers.js";
import { caseCard } from "./case-card.js";
import { timelineSection } from "./timeline.js";
import { stewardshipSection } from "./stewardship.js";
import { loadCitizenPage } from "./citizen-data.js";

export async function renderCitizen(container, route, ctx) {
  const requestedId = route.params.id;
  const focusCase = route.query.get("case");
  mount(container, pageHeading(t("citizen.title")), loadingBox());

  const { citizen, identity, catalogue, cases } = await loadCitizenPage(requestedId, focusCase, getLanguage());
  if (!ctx.isCurrent()) return null;

  const procedures = new Map((catalogue.procedures || []).map((p) => [p.id, p]));
  const name = fullName(citizen.given_name, citizen.family_name);
  ctx.setTitle(name);
  const onChanged = () => ctx.reload();

  const open = cases.filter((d) => OPEN_STATUSES.includes(d.case.status));
  const past = cases.filter((d) => !OPEN_STATUSES.includes(d.case.status));
  const caseList = (list) =>
    list.map((d) => caseCard(d, procedures.get(d.case.procedure), { onChanged, highlighted: d.case.reference === focusCase }));

  mount(
    container,
    pageHeading(name, t("citizen.subtitle")),
    citizen.citizen_id !== requestedId ? h("p", { class: "notice", "data-testid": "merged-notice" }, t("citizen.mergedInto", { from: requestedId, to: citizen.citizen_id })) : null,
    summary(citizen),
    !canAct() ? h("p", { class: "notice", "data-testid": "read-only-notice" }, t("citizen.readOnly")) : null,
    h(
      "div",
      { class: "citizen-layout" },
      h(
        "div",
        { class: "citizen-side" },
        identifiersSection(citizen, identity),
        h(
          "section",
          { class: "panel", "aria-labelledby": "cases-title", "data-testid": "cases" },
          h("h2", { id: "cases-title" }, t("citizen.openCases", { count: open.length })),
          open.length ? caseList(open) : emptyState(t("citizen.noOpenCases")),
          past.length ? h("h2", {}, t("citizen.pastCases", { count: past.length })) : null,
          caseList(past),
        ),
        stewardshipSection(citizen, identity, onChanged),
      ),
      h(
        "div",
        { class: "citizen-main" },
        timelineSection({
          citizenId: citizen.citizen_id,
          timeline: citizen.timeline || [],
          nextCursor: citizen.next_cursor,
          caseDetails: cases,
          procedureNames: new Map([...procedures.values()].map((p) => [p.id, p.name])),
          onChanged,
        }),
      ),
    ),
  );

  if (focusCase) {
    const card = container.querySelector(`[data-testid="case"][data-reference="${CSS.escape(focusCase)}"]`);
    if (card) requestAnimationFrame(() => card.scrollIntoView({ block: "start" }));
  }
  return null;
}

function summary(citizen) {
  const address = citizen.address;
  const addressText = address
    ? [address.line1, address.line2, address.locality, address.region, address.postal_code].filter(Boolean).join(", ")
    : null;
  return h(
    "dl",
    { class: "facts summary card", "data-testid": "citizen-summary" },
    h("div", { class: "fact" }, h("dt", {}, t("citizen.id")), h("dd", { "data-testid": "citizen-id" }, idText(citizen.citizen_id))),
    citizen.birth_date ? h("div", { class: "fact" }, h("dt", {}, t("citizen.birthDate")), h("dd", {}, formatDate(`${citizen.birth_date}T12:00:00Z`))) : null,
    addressText ? h("div", { class: "fact" }, h("dt", {}, t("citizen.address")), h("dd", {}, addressText)) : null,
    citizen.merged_ids?.length
      ? h(
          "div",
          { class: "fact" },
          h("dt", {}, t("citizen.mergedMembers")),
          h("dd", { "data-testid": "merged-members" }, citizen.merged_ids.map((id, i) => [i ? ", " : "", h("a", { href: href("citizen", { id }) }, id)])),
        )
      : null,
    h("div", { class: "fact" }, h("dt", {}, t("citizen.since")), h("dd", {}, formatDate(citizen.created_at))),
  );
}
