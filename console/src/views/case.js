// #/case/<reference>: a case goes to its citizen's 360 page; a case without a citizen is shown on its own.

import { api } from "../api.js";
import { mount } from "../dom.js";
import { t, getLanguage } from "../i18n.js";
import { href, navigate } from "../router.js";
import { pageHeading, loadingBox } from "../components.js";
import { caseCard } from "./case-card.js";

export async function renderCase(container, route, ctx) {
  const reference = route.params.reference.toUpperCase();
  mount(container, pageHeading(t("case.title")), loadingBox());
  const language = getLanguage();
  const detail = await api.getCase(reference, language);
  if (!ctx.isCurrent()) return null;
  if (detail.citizen_id) {
    navigate(href("citizen", { id: detail.citizen_id }, { case: reference }), { replace: true });
    return null;
  }
  const catalogue = await api.procedures(language).catch(() => ({ procedures: [] }));
  if (!ctx.isCurrent()) return null;
  const procedure = (catalogue.procedures || []).find((p) => p.id === detail.case.procedure);
  ctx.setTitle(reference);
  mount(container, pageHeading(reference, t("case.noCitizen")), caseCard(detail, procedure, { onChanged: () => ctx.reload() }));
  return null;
}
