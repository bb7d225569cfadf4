// The journey-health charts: each a <figure> built by charts.js from a metrics answer.

import { h } from "../dom.js";
import { t, formatDay, formatNumber, formatPercent } from "../i18n.js";
import { channelName, channelStyle } from "../channels.js";
import { chartFigure, lineOptions, barOptions, dayToSeconds } from "../charts.js";
import { dailyContacts, dailySentiment, rateByGroup, equityRows } from "../metrics.js";

const BAR_COLOR = "#0b4f6c";
const GAP_COLOR = "#8a3b00";

export function volumeChart(answer, days) {
  const series = dailyContacts(answer, days);
  const title = t("health.chart.volume");
  if (!series || !series.groups.length) {
    return chartFigure({ id: "volume", title, description: t("health.chart.volumeDesc"), empty: t(series ? "health.noData" : "health.noDaily") });
  }
  const labels = series.groups.map((g) => channelName(g));
  const peak = series.values.flat().reduce((m, v) => Math.max(m, v), 0);
  const total = series.values.flat().reduce((s, v) => s + v, 0);
  return chartFigure({
    id: "volume",
    title,
    description: t("health.chart.volumeDesc"),
    summary: t("health.chart.volumeSummary", { title, total: formatNumber(total), channels: labels.join(", "), peak: formatNumber(peak) }),
    columns: [t("health.day"), ...labels],
    rows: days.map((day, i) => [formatDay(day, "long"), ...series.values.map((v) => formatNumber(v[i]))]),
    options: lineOptions({
      xLabel: t("health.day"),
      series: series.groups.map((g, i) => ({ label: labels[i], ...channelStyle(g) })),
      format: (v) => formatNumber(v, 1),
    }),
    data: [days.map(dayToSeconds), ...series.values],
  });
}

function barChart({ id, title, description, groups, groupName, format, yMax, label }) {
  const labels = groups.map((g) => groupName(g.group));
  return chartFigure({
    id,
    title,
    description,
    summary: `${title}: ${groups.map((g, i) => `${labels[i]} ${format(g.value)}`).join("; ")}`,
    columns: [t("health.group"), label],
    rows: groups.map((g, i) => [labels[i], format(g.value)]),
    options: barOptions({ labels, color: BAR_COLOR, label, xLabel: t("health.group"), format, yMax }),
    data: [groups.map((_, i) => i), groups.map((g) => g.value)],
  });
}

export function slaChart(answer, by, groupName) {
  const groups = rateByGroup(answer, "sla_compliance");
  const title = t("health.chart.sla", { by: t(`health.by.${by}`) });
  if (!groups.length) return chartFigure({ id: "sla", title, description: t("health.chart.slaDesc"), empty: t("health.noSla") });
  return barChart({ id: "sla", title, description: t("health.chart.slaDesc"), groups, groupName, label: t("health.rate.sla_compliance"), format: (v) => formatPercent(v, 0), yMax: 1 });
}

export function resolutionChart(answer, by, groupName) {
  const groups = rateByGroup(answer, "mean_hours_to_resolution");
  const title = t("health.chart.resolution", { by: t(`health.by.${by}`) });
  const description = t("health.chart.resolutionDesc");
  if (!groups.length) return chartFigure({ id: "resolution", title, description, empty: t("health.noResolution") });
  return barChart({ id: "resolution", title, description, groups, groupName, label: t("health.rate.mean_hours_to_resolution"), format: (v) => t("health.hours", { value: formatNumber(v, 1) }) });
}

function formatRate(unit, value) {
  if (unit === "ratio") return formatPercent(value, 1);
  if (unit === "hours") return t("health.hours", { value: formatNumber(value, 1) });
  return formatNumber(value, 2);
}

function formatGap(unit, gap) {
  if (unit === "ratio") return t("health.points", { value: formatNumber(gap * 100, 1) });
  return formatRate(unit, gap);
}

export function equityChart(answer, by, groupName) {
  const rows = equityRows(answer);
  const title = t("health.chart.equity", { by: t(`health.by.${by}`) });
  const description = t("health.chart.equityDesc");
  if (!rows.length) return chartFigure({ id: "equity", title, description, empty: t("health.noEquity") });
  const table = h(
    "div",
    { class: "table-scroll", tabindex: "0", role: "region", "aria-label": t("health.equityTable") },
    h(
      "table",
      { class: "data-table equity-table", "data-testid": "chart-table", "data-table": "equity" },
      h("caption", {}, t("health.equityTable")),
      h("thead", {}, h("tr", {}, [t("health.rate"), t("health.gap"), t("health.best"), t("health.worst")].map((c) => h("th", { scope: "col" }, c)))),
      h(
        "tbody",
        {},
        rows.map((r) =>
          h(
            "tr",
            {},
            h("th", { scope: "row" }, t(`health.rate.${r.rate}`)),
            h("td", { class: "num" }, formatGap(r.unit, r.gap)),
            h("td", {}, r.best ? `${groupName(r.best.group)} (${formatRate(r.unit, r.best.value)})` : "—"),
            h("td", {}, r.worst ? `${groupName(r.worst.group)} (${formatRate(r.unit, r.worst.value)})` : "—"),
          ),
        ),
      ),
    ),
  );
  // The visible table has every gap with its best and worst group (the figure's text alternative); the chart
  // compares like with like: the gaps of the percentage rates, in percentage points.
  const ratios = rows.filter((r) => r.unit === "ratio");
  const labels = ratios.map((r) => t(`health.rate.${r.rate}`));
  if (!ratios.length) return chartFigure({ id: "equity", title, description, empty: t("health.noEquityRatios"), extra: table });
  return chartFigure({
    id: "equity",
    title,
    description,
    summary: `${title}: ${ratios.map((r, i) => `${labels[i]} ${formatGap(r.unit, r.gap)}`).join("; ")}`,
    options: barOptions({ labels, color: GAP_COLOR, label: t("health.gap"), xLabel: t("health.rate"), format: (v) => t("health.points", { value: formatNumber(v, 1) }) }),
    data: [ratios.map((_, i) => i), ratios.map((r) => r.gap * 100)],
    extra: table,
  });
}

export function sentimentChart(answer, days) {
  const series = dailySentiment(answer, days);
  const title = t("health.chart.sentiment");
  const description = t("health.chart.sentimentDesc");
  if (!series || series.ratios.every((r) => r === null)) {
    return chartFigure({ id: "sentiment", title, description, empty: t(series ? "health.noData" : "health.noDaily") });
  }
  const known = series.ratios.filter((r) => r !== null);
  const mean = known.reduce((s, v) => s + v, 0) / known.length;
  return chartFigure({
    id: "sentiment",
    title,
    description,
    summary: t("health.chart.sentimentSummary", { title, mean: formatPercent(mean), max: formatPercent(Math.max(...known)) }),
    columns: [t("health.day"), t("health.rate.negative_sentiment_rate"), t("health.kpi.contacts")],
    rows: days.map((day, i) => [formatDay(day, "long"), series.ratios[i] === null ? "—" : formatPercent(series.ratios[i]), formatNumber(series.contacts[i])]),
    options: lineOptions({
      xLabel: t("health.day"),
      series: [{ label: t("health.rate.negative_sentiment_rate"), color: "#b3261e", dash: [] }],
      format: (v) => formatPercent(v, 0),
    }),
    data: [days.map(dayToSeconds), series.ratios],
  });
}
