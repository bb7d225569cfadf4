// Salud de los trámites: volume, SLA compliance, time to resolution, equity gap, sentiment, cases to act on.

import { api } from "../api.js";
import { h, mount, field, select } from "../dom.js";
import { t, tOr, getLanguage, formatDay, formatNumber, formatPercent, formatDateTime } from "../i18n.js";
import { href } from "../router.js";
import { announce } from "../live.js";
import { channelName, CHANNELS } from "../channels.js";
import { pageHeading, loadingBox, errorBox, errorMessage, badge, caseLink, emptyState } from "../components.js";
import { daysBetween, rangeProblem, totals } from "../metrics.js";
import { volumeChart, slaChart, resolutionChart, equityChart, sentimentChart } from "./health-charts.js";

const BREAKDOWNS = ["channel", "procedure", "region", "language"];
const DEFAULTS = { from: "2026-03-01", to: "2026-03-31", by: "channel" };

function readParams(query) {
  const by = BREAKDOWNS.includes(query.get("by")) ? query.get("by") : DEFAULTS.by;
  const from = query.get("from") || DEFAULTS.from;
  const to = query.get("to") || DEFAULTS.to;
  return { from, to, by };
}

export async function renderHealth(container, route, ctx) {
  let destroyCharts = () => {};
  let loads = 0;
  const body = h("div", { class: "health-body", "data-testid": "health-body", "aria-busy": "true" }, loadingBox());

  // Changing the dates or the breakdown reloads the figures in place (focus stays on the control) and
  // keeps the address in step, without a navigation.
  const load = async (params) => {
    const ticket = ++loads;
    const current = () => ctx.isCurrent() && ticket === loads;
    history.replaceState(null, "", href("health", {}, params));
    destroyCharts();
    destroyCharts = () => {};
    body.setAttribute("aria-busy", "true");
    mount(body, loadingBox());
    const content = await healthContent(params, current);
    if (!current()) return;
    body.removeAttribute("aria-busy");
    mount(body, content.nodes);
    destroyCharts = content.destroy;
  };

  mount(container, pageHeading(t("health.title"), t("health.intro")), controlsForm(readParams(route.query), load), body);
  await load(readParams(route.query));
  return () => destroyCharts();
}

/** Everything below the controls for one period and breakdown: {nodes, destroy}. */
async function healthContent(params, current) {
  const problem = rangeProblem(params.from, params.to);
  if (problem) {
    announce(t(problem), "error");
    return { nodes: errorBox({ message: t(problem) }), destroy() {} };
  }
  const language = getLanguage();
  const [breakdown, channelDaily, allDaily, attention, catalogue] = await Promise.allSettled([
    api.journeyMetrics({ ...params }),
    api.journeyMetrics({ from: params.from, to: params.to, by: "channel", daily: true }),
    api.journeyMetrics({ from: params.from, to: params.to, by: "all", daily: true }),
    api.attention(),
    api.procedures(language),
  ]);
  if (!current()) return { nodes: [], destroy() {} };
  if (breakdown.status === "rejected") {
    announce(errorMessage(breakdown.reason), "error");
    return { nodes: errorBox(breakdown.reason), destroy() {} };
  }

  const names = new Map((catalogue.value?.procedures || []).map((p) => [p.id, p.name]));
  const groupName = (group) => groupLabel(params.by, group, names);
  const days = daysBetween(params.from, params.to);
  const value = (r) => (r.status === "fulfilled" ? r.value : null);

  const charts = [
    volumeChart(value(channelDaily), days),
    slaChart(breakdown.value, params.by, groupName),
    resolutionChart(breakdown.value, params.by, groupName),
    equityChart(breakdown.value, params.by, groupName),
    sentimentChart(value(allDaily), days),
  ];
  announce(
    t("health.loaded", { from: formatDay(params.from, "long"), to: formatDay(params.to, "long"), by: t(`health.by.${params.by}`) }),
    "info",
  );
  return {
    nodes: [
      kpis(value(allDaily), attention),
      h("section", { class: "chart-grid", "aria-label": t("health.charts") }, charts.map((c) => c.figure)),
      attentionSection(attention, names),
    ],
    destroy: () => charts.forEach((c) => c.destroy()),
  };
}

function controlsForm(params, load) {
  const from = h("input", { type: "date", name: "from", value: params.from, required: true, "data-testid": "health-from" });
  const to = h("input", { type: "date", name: "to", value: params.to, required: true, "data-testid": "health-to" });
  const by = select(
    { name: "by", "data-testid": "health-by" },
    BREAKDOWNS.map((b) => ({ value: b, label: t(`health.by.${b}`) })),
    params.by,
  );
  const form = h(
    "form",
    { class: "card health-controls", "data-testid": "health-controls", novalidate: true },
    field({ label: t("health.from"), control: from }),
    field({ label: t("health.to"), control: to }),
    field({ label: t("health.breakdown"), control: by }),
    h("div", { class: "field field-button" }, h("button", { type: "submit", class: "button button-primary", "data-testid": "health-submit" }, t("health.update"))),
  );
  const go = () => {
    const problem = rangeProblem(from.value, to.value);
    if (problem) {
      announce(t(problem), "error");
      from.setAttribute("aria-invalid", "true");
      to.setAttribute("aria-invalid", "true");
      from.focus();
      return;
    }
    from.setAttribute("aria-invalid", "false");
    to.setAttribute("aria-invalid", "false");
    load({ from: from.value, to: to.value, by: by.value });
  };
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    go();
  });
  by.addEventListener("change", go);
  return form;
}

function groupLabel(by, group, procedureNames) {
  if (by === "channel") return CHANNELS.includes(group) ? channelName(group) : group;
  if (by === "procedure") return procedureNames.get(group) || group;
  if (by === "language") return tOr(`language.name.${group}`, group);
  if (by === "region") return group === "desconocida" ? t("health.regionUnknown") : group;
  return group;
}

function kpis(allDaily, attention) {
  const all = totals(allDaily);
  const dead = attention.status === "fulfilled" ? attention.value.dead_letters : undefined;
  const deadKnown = typeof dead === "number";
  const card = (label, value, attrs = {}) => h("div", { class: "kpi", ...attrs }, h("p", { class: "kpi-label" }, label), h("p", { class: "kpi-value" }, value));
  return h(
    "section",
    { class: "kpis", "aria-label": t("health.kpis") },
    card(t("health.kpi.contacts"), all ? formatNumber(all.counters.contacts || 0) : t("common.noValue"), { "data-testid": "kpi-contacts" }),
    card(t("health.kpi.sla"), all ? formatPercent(all.rates.sla_compliance) : t("common.noValue"), { "data-testid": "kpi-sla" }),
    card(t("health.kpi.resolution"), all && all.rates.mean_hours_to_resolution !== null && all.rates.mean_hours_to_resolution !== undefined ? t("health.hours", { value: formatNumber(all.rates.mean_hours_to_resolution, 1) }) : t("common.noValue"), { "data-testid": "kpi-resolution" }),
    card(t("health.kpi.negative"), all ? formatPercent(all.rates.negative_sentiment_rate) : t("common.noValue"), { "data-testid": "kpi-negative" }),
    card(
      t("health.kpi.dlq"),
      deadKnown ? [formatNumber(dead), dead > 0 ? h("span", { class: "kpi-note" }, t("health.dlqWarning")) : h("span", { class: "kpi-note" }, t("health.dlqOk"))] : t("health.dlqUnknown"),
      { class: ["kpi", deadKnown && dead > 0 ? "kpi-warning" : deadKnown ? "kpi-ok" : "kpi-unknown"], "data-testid": "dlq-depth", "data-dead-letters": deadKnown ? String(dead) : "" },
    ),
  );
}

function attentionSection(attention, procedureNames) {
  const heading = h("h2", { id: "attention-title" }, t("health.attention"));
  const wrap = (...content) => h("section", { class: "panel attention", "aria-labelledby": "attention-title", "data-testid": "attention" }, heading, h("p", { class: "muted" }, t("health.attentionIntro")), ...content);
  if (attention.status === "rejected") {
    const missing = attention.reason.status === 404;
    return wrap(emptyState(missing ? t("health.attentionUnavailable") : errorMessage(attention.reason), "attention-unavailable"));
  }
  const items = attention.value.items || [];
  if (!items.length) return wrap(emptyState(t("health.attentionNone"), "attention-empty"));
  return wrap(
    h(
      "div",
      { class: "table-scroll", tabindex: "0", role: "region", "aria-labelledby": "attention-title" },
      h(
        "table",
        { class: "data-table", "data-testid": "attention-table" },
        h("caption", { class: "visually-hidden" }, t("health.attention")),
        h(
          "thead",
          {},
          h("tr", {}, [t("health.col.kind"), t("health.col.case"), t("health.col.procedure"), t("health.col.step"), t("health.col.at"), t("health.col.citizen")].map((c) => h("th", { scope: "col" }, c))),
        ),
        h(
          "tbody",
          {},
          items.map((item) =>
            h(
              "tr",
              { "data-testid": "attention-row", "data-kind": item.kind },
              h("td", {}, badge(tOr(`signal.${item.kind}`, item.kind), item.kind === "SlaBreached" ? "danger" : "warning")),
              h("th", { scope: "row" }, caseLink(item.reference)),
              h("td", {}, procedureNames.get(item.procedure) || item.procedure),
              h("td", {}, item.step || "—"),
              h("td", {}, h("time", { datetime: item.at }, formatDateTime(item.at))),
              h("td", {}, item.citizen_id ? h("a", { href: href("citizen", { id: item.citizen_id }, { case: item.reference }) }, t("health.openCitizen")) : "—"),
            ),
          ),
        ),
      ),
    ),
  );
}
