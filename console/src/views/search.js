// Buscar / Find: one box for a phone, email, CURP, social handle or case reference → who it is.

import { api } from "../api.js";
import { h, mount, field, select } from "../dom.js";
import { t, getLanguage, formatDateTime } from "../i18n.js";
import { announce } from "../live.js";
import { href, navigate } from "../router.js";
import { classify, contextQuery, SOCIAL_PLATFORMS } from "../search-query.js";
import { channelLabel } from "../channels.js";
import {
  pageHeading,
  confidenceBadge,
  fullName,
  statusBadge,
  idText,
  loadingBox,
  emptyState,
  errorBox,
  errorMessage,
  caseLink,
} from "../components.js";

const CLEAR_MATCH = ["verified", "high", "medium"];
// The last search, kept in memory (never in the URL: it is personal data) to show again on coming back.
let last = { text: "", platform: "any", result: null };

export function renderSearch(container) {
  const input = h("input", {
    type: "search",
    name: "q",
    autocomplete: "off",
    spellcheck: "false",
    value: last.text,
    "data-testid": "search-input",
  });
  const platform = select(
    { name: "platform", "data-testid": "search-platform" },
    [{ value: "any", label: t("search.platformAny") }, ...SOCIAL_PLATFORMS.map((p) => ({ value: p, label: t(`platform.${p}`) }))],
    last.platform,
  );
  const platformField = field({ label: t("search.platform"), control: platform, className: "field field-platform" });
  const button = h("button", { type: "submit", class: "button button-primary", "data-testid": "search-button" }, t("search.submit"));
  const results = h("section", { class: "search-results", "aria-labelledby": "search-results-title", "data-testid": "search-results" });

  const syncPlatform = () => {
    const kind = classify(input.value);
    platformField.hidden = !(kind.kind === "handle" && !kind.platform);
  };
  input.addEventListener("input", syncPlatform);
  syncPlatform();

  const form = h(
    "form",
    { role: "search", class: "card search-form", "data-testid": "search-form", novalidate: true },
    h(
      "div",
      { class: "search-row" },
      field({ label: t("search.label"), control: input, hint: t("search.hint"), className: "field field-grow" }),
      platformField,
      h("div", { class: "field field-button" }, button),
    ),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    runSearch(input.value, platform.value, results, button);
  });

  mount(container, pageHeading(t("search.title"), t("search.intro")), form, results);
  if (last.result) showResult(results, last.result);
  return null;
}

async function runSearch(text, platformChoice, results, button) {
  const classified = classify(text);
  last = { text, platform: platformChoice, result: null };
  if (classified.kind === "empty" || classified.kind === "invalid") {
    const message = t(classified.kind === "empty" ? "search.empty" : "search.invalid");
    mount(results, h("h2", { id: "search-results-title", class: "visually-hidden" }, t("search.results")), emptyState(message, "search-invalid"));
    announce(message, "error");
    return;
  }
  button.disabled = true;
  mount(results, loadingBox(t("search.searching")));
  try {
    const result = await lookUp(classified, platformChoice);
    if (!result) return; // navigated away (a case reference goes to its citizen)
    last.result = result;
    showResult(results, result);
  } catch (error) {
    const message = errorMessage(error);
    mount(results, errorBox(error));
    announce(message, "error");
  } finally {
    button.disabled = false;
  }
}

/** → {kind: "context", context} | {kind: "case", detail}; null after navigating to the case's citizen. */
async function lookUp(classified, platformChoice) {
  const language = getLanguage();
  if (classified.kind === "reference") {
    const detail = await api.getCase(classified.value, language);
    if (detail.citizen_id) {
      announce(t("search.caseFound", { reference: classified.value }), "success");
      navigate(href("citizen", { id: detail.citizen_id }, { case: classified.value }));
      return null;
    }
    return { kind: "case", detail };
  }
  if (classified.kind === "handle" && !classified.platform && platformChoice === "any") {
    return { kind: "context", context: await anyPlatform(classified, language) };
  }
  const platform = classified.platform || platformChoice;
  return { kind: "context", context: await api.context(contextQuery(classified, platform), language) };
}

/** A bare @handle: ask every platform; one person → that person, several → ambiguous. */
async function anyPlatform(classified, language) {
  const answers = await Promise.allSettled(
    SOCIAL_PLATFORMS.map((p) => api.context(contextQuery(classified, p), language)),
  );
  const found = answers.filter((a) => a.status === "fulfilled" && a.value.confidence !== "unknown").map((a) => a.value);
  const people = new Map();
  for (const context of found) {
    for (const person of context.citizen_id ? [context] : context.candidates || []) people.set(person.citizen_id, person);
  }
  if (people.size === 0) {
    // 400: not a valid handle on that platform; anything else is worth telling.
    const failure = answers.find((a) => a.status === "rejected" && a.reason.status !== 400);
    if (failure) throw failure.reason;
    return { confidence: "unknown", candidates: [] };
  }
  if (found.length === 1 && found[0].citizen_id) return found[0];
  const candidates = [...people.values()].map(({ citizen_id, given_name, family_name }) => ({ citizen_id, given_name, family_name }));
  return { confidence: "ambiguous", candidates };
}

function showResult(results, result) {
  const title = h("h2", { id: "search-results-title" }, t("search.results"));
  if (result.kind === "case") {
    mount(results, title, caseWithoutCitizen(result.detail));
    announce(t("search.caseNoCitizen", { reference: result.detail.case.reference }), "info");
    return;
  }
  const context = result.context;
  if (CLEAR_MATCH.includes(context.confidence) && context.citizen_id) {
    mount(results, title, citizenCard(context));
    announce(
      t("search.found", { name: fullName(context.given_name, context.family_name), confidence: t(`confidence.${context.confidence}`) }),
      "success",
    );
  } else if (context.confidence === "ambiguous" || (context.candidates || []).length) {
    mount(results, title, candidateList(context));
    announce(t("search.ambiguous", { count: context.candidates.length }), "info");
  } else {
    mount(results, title, emptyState(t("search.notFound"), "search-not-found"));
    announce(t("search.notFound"), "info");
  }
}

function citizenCard(context) {
  const name = fullName(context.given_name, context.family_name);
  const openCases = context.open_cases || [];
  const lastTouchpoints = (context.last_touchpoints || []).slice(0, 3);
  return h(
    "article",
    { class: "card result-card", "data-testid": "search-result", "data-citizen-id": context.citizen_id },
    h("div", { class: "card-header" }, h("h3", { "data-testid": "result-name" }, name), confidenceBadge(context.confidence)),
    h("p", { class: "muted" }, t("citizen.id"), " ", idText(context.citizen_id)),
    h("h4", {}, t("search.openCases", { count: openCases.length })),
    openCases.length
      ? h(
          "ul",
          { class: "plain-list" },
          openCases.map((c) =>
            h(
              "li",
              { class: "mini-case" },
              caseLink(c.reference),
              " · ",
              c.procedure_name,
              " ",
              statusBadge(c.status),
              c.next_action ? h("p", { class: "muted" }, t("case.nextAction"), ": ", c.next_action) : null,
            ),
          ),
        )
      : h("p", { class: "muted" }, t("search.noOpenCases")),
    lastTouchpoints.length ? h("h4", {}, t("search.lastContacts")) : null,
    lastTouchpoints.length
      ? h(
          "ul",
          { class: "plain-list" },
          lastTouchpoints.map((tp) =>
            h(
              "li",
              { class: "mini-contact" },
              channelLabel(tp.channel),
              " ",
              h("time", { datetime: tp.occurred_at }, formatDateTime(tp.occurred_at)),
              tp.text ? h("span", { class: "muted clamp" }, " — ", tp.text) : null,
            ),
          ),
        )
      : null,
    h(
      "p",
      { class: "form-actions" },
      h("a", { class: "button button-primary", href: href("citizen", { id: context.citizen_id }), "data-testid": "open-citizen" }, t("search.open360")),
    ),
  );
}

function candidateList(context) {
  return h(
    "div",
    { class: "card", "data-testid": "search-candidates" },
    h("div", { class: "card-header" }, h("h3", {}, t("search.candidatesTitle")), confidenceBadge("ambiguous")),
    h("p", { class: "muted" }, t("search.candidatesIntro")),
    h(
      "ul",
      { class: "candidate-list" },
      context.candidates.map((c) =>
        h(
          "li",
          { "data-testid": "search-candidate", "data-citizen-id": c.citizen_id },
          h("a", { href: href("citizen", { id: c.citizen_id }) }, fullName(c.given_name, c.family_name)),
          " ",
          idText(c.citizen_id),
        ),
      ),
    ),
  );
}

function caseWithoutCitizen(detail) {
  const c = detail.case;
  return h(
    "article",
    { class: "card", "data-testid": "search-case" },
    h("div", { class: "card-header" }, h("h3", {}, `${c.reference} · ${c.procedure_name}`), statusBadge(c.status)),
    h("p", {}, c.status_text),
    h("p", { class: "muted" }, t("search.caseNoCitizen", { reference: c.reference })),
  );
}
