// Turning GET /v1/metrics/journeys answers into chart series (pure functions, no DOM).

export const RATE_UNITS = {
  first_contact_resolution_rate: "ratio",
  repeat_contact_rate: "ratio",
  sla_compliance: "ratio",
  negative_sentiment_rate: "ratio",
  mean_hours_to_resolution: "hours",
  channel_switches_per_case: "count",
  contacts_per_case: "count",
};
export const HIGHER_IS_BETTER = new Set(["first_contact_resolution_rate", "sla_compliance"]);
export const MAX_DAYS = 92;

/** Every day from..to inclusive, "YYYY-MM-DD" (UTC). */
export function daysBetween(from, to) {
  const days = [];
  const end = Date.parse(`${to}T00:00:00Z`);
  for (let ms = Date.parse(`${from}T00:00:00Z`); ms <= end && days.length <= 400; ms += 86400000) {
    days.push(new Date(ms).toISOString().slice(0, 10));
  }
  return days;
}

/** null when from/to are fine, else the i18n key of the problem. */
export function rangeProblem(from, to) {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(from || "") || !/^\d{4}-\d{2}-\d{2}$/.test(to || "")) return "health.rangeInvalid";
  if (from > to) return "health.rangeOrder";
  if (daysBetween(from, to).length > MAX_DAYS) return "health.rangeTooLong";
  return null;
}

/** {days: [...]} → Map(day → Map(group → counters)); null when the answer has no daily breakdown. */
function dailyIndex(answer) {
  if (!answer || !Array.isArray(answer.days)) return null;
  const index = new Map();
  answer.days.forEach((d) => index.set(d.day, new Map((d.groups || []).map((g) => [g.group, g.counters || {}]))));
  return index;
}

/** Daily contacts per group: {groups: [name], values: [[n per day] per group]}; null without days. */
export function dailyContacts(answer, days) {
  const index = dailyIndex(answer);
  if (!index) return null;
  const names = new Set();
  index.forEach((groups) => groups.forEach((counters, name) => (counters.contacts || 0) > 0 && names.add(name)));
  const groups = [...names].sort();
  const values = groups.map((g) => days.map((day) => index.get(day)?.get(g)?.contacts ?? 0));
  return { groups, values };
}

/** Daily negative_sentiment / contacts over every group ("all"), null on days without contacts. */
export function dailySentiment(answer, days) {
  const index = dailyIndex(answer);
  if (!index) return null;
  const ratios = days.map((day) => {
    let contacts = 0;
    let negative = 0;
    (index.get(day) || new Map()).forEach((c) => {
      contacts += c.contacts || 0;
      negative += c.negative_sentiment || 0;
    });
    return contacts ? negative / contacts : null;
  });
  const contacts = days.map((day) => {
    let n = 0;
    (index.get(day) || new Map()).forEach((c) => (n += c.contacts || 0));
    return n;
  });
  return { ratios, contacts };
}

/** One rate per group, groups without a value left out: [{group, value}] */
export function rateByGroup(answer, rate) {
  return (answer?.groups || [])
    .map((g) => ({ group: g.group, value: g.rates ? g.rates[rate] : null }))
    .filter((g) => g.value !== null && g.value !== undefined);
}

/** The equity gaps with the best and worst group behind each: [{rate, gap, best, worst}] */
export function equityRows(answer) {
  const gaps = answer?.equity_gap || answer?.equity_gaps || {};
  return Object.entries(gaps)
    .filter(([, gap]) => gap !== null && gap !== undefined)
    .map(([rate, gap]) => {
      const values = rateByGroup(answer, rate).sort((a, b) => a.value - b.value);
      const higher = HIGHER_IS_BETTER.has(rate);
      const best = higher ? values[values.length - 1] : values[0];
      const worst = higher ? values[0] : values[values.length - 1];
      return { rate, gap, best, worst, unit: RATE_UNITS[rate] || "count" };
    });
}

/** Totals over every group of an answer (for by=all: the one group). */
export function totals(answer) {
  const group = (answer?.groups || []).find((g) => g.group === "all") || null;
  return group ? { counters: group.counters || {}, rates: group.rates || {} } : null;
}
