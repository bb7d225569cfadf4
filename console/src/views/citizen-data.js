// Reading what the 360 page shows: the citizen, why each identifier is theirs, the catalogue, and their cases.

import { api } from "../api.js";

// Identifiers most likely to name one person first: GET /v1/context answers for whoever holds them.
const CONTEXT_ORDER = ["login_subject", "national_id", "email", "social", "phone"];
const CONTEXT_PARAM = { login_subject: "login_subject", national_id: "national_id", email: "email", social: "handle", phone: "phone" };
const CASES_SHOWN_BY_CONTEXT = 10; // functions/context/service.py: a full page may have more behind it
const CONTEXT_TRIES = 2;

export async function loadCitizenPage(citizenId, focusCase, language) {
  const [citizen, identity, catalogue] = await Promise.all([
    api.citizen(citizenId, { limit: 100 }),
    api.identity(citizenId).catch(() => null), // the page still helps without the explanation
    api.procedures(language).catch(() => ({ procedures: [] })),
  ]);
  const cases = await loadCases(citizen, focusCase, language);
  return { citizen, identity, catalogue, cases };
}

/**
 * The citizen's cases. The context endpoint lists them from the case index (also those opened without a
 * reference on the timeline); the timeline's references are the fallback, since a citizen may quote a
 * reference that does not exist (that would be a 404 per wrong reference).
 */
async function loadCases(citizen, focusCase, language) {
  const references = new Set(focusCase ? [focusCase] : []);
  const listed = await casesFromContext(citizen, language);
  if (listed) listed.forEach((r) => references.add(r));
  if (!listed || listed.length >= CASES_SHOWN_BY_CONTEXT) {
    (citizen.timeline || []).forEach((e) => e.case?.reference && references.add(e.case.reference));
  }
  const own = new Set([citizen.citizen_id, ...(citizen.merged_ids || [])]);
  const answers = await Promise.allSettled([...references].map((r) => api.getCase(r, language)));
  return answers
    .filter((a) => a.status === "fulfilled" && (!a.value.citizen_id || own.has(a.value.citizen_id)))
    .map((a) => a.value)
    .sort((a, b) => String(b.case.updated_at).localeCompare(String(a.case.updated_at)));
}

/** References of the citizen's cases via one of their identifiers; null when none resolves to them alone. */
async function casesFromContext(citizen, language) {
  const identifiers = [...(citizen.identifiers || [])]
    .filter((i) => CONTEXT_PARAM[i.kind])
    .sort((a, b) => CONTEXT_ORDER.indexOf(a.kind) - CONTEXT_ORDER.indexOf(b.kind) || Number(b.verified) - Number(a.verified))
    .slice(0, CONTEXT_TRIES);
  const own = new Set([citizen.citizen_id, ...(citizen.merged_ids || [])]);
  for (const identifier of identifiers) {
    try {
      const context = await api.context({ [CONTEXT_PARAM[identifier.kind]]: identifier.value }, language);
      if (context.citizen_id && own.has(context.citizen_id)) {
        return [...(context.open_cases || []), ...(context.recent_cases || [])].map((c) => c.reference);
      }
    } catch {
      /* try the next identifier */
    }
  }
  return null;
}
