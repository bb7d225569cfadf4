// One timeline across channels: touchpoints and notifications, journey signals as badges on their contact.

import { api } from "../api.js";
import { h, mount, field, select } from "../dom.js";
import { t, tOr, formatDateTime } from "../i18n.js";
import { can, currentUser } from "../auth.js";
import { announce } from "../live.js";
import { CHANNELS, channelLabel, channelName } from "../channels.js";
import { badge, caseLink, errorMessage } from "../components.js";
import { actionForm, actionPanel } from "./action-form.js";

const DANGER_SIGNALS = ["NegativeSentiment", "SlaBreached", "CaseAbandoned"];
const WARNING_SIGNALS = ["RepeatContact", "CaseStalled", "ChannelSwitched"];
const HIDDEN_DETAILS = new Set(["signal", "touchpoint_id", "notification", "via", "delivery"]);

function kindOf(entry) {
  const details = entry.details || {};
  if (details.signal) return "signal";
  if (details.notification || String(entry.touchpoint_id).startsWith("ntf-")) return "notification";
  return "touchpoint";
}

function signalKind(signal) {
  if (DANGER_SIGNALS.includes(signal)) return "danger";
  if (WARNING_SIGNALS.includes(signal)) return "warning";
  if (signal === "ResolvedFirstContact") return "success";
  return "signal";
}

function signalBadge(signal) {
  return badge(tOr(`signal.${signal}`, signal), signalKind(signal), { "data-testid": "signal-badge", "data-signal": signal });
}

/** Signals point at their contact (details.touchpoint_id) or share its time, channel and case. */
function attachSignals(entries) {
  const contacts = entries.filter((e) => kindOf(e) !== "signal");
  const byId = new Map(contacts.map((e) => [e.touchpoint_id, e]));
  const key = (e) => `${e.channel}|${new Date(e.occurred_at).getTime()}|${e.case?.reference || ""}`;
  const byMoment = new Map(contacts.map((e) => [key(e), e]));
  const signalsOf = new Map();
  const standalone = [];
  for (const entry of entries.filter((e) => kindOf(e) === "signal")) {
    const target = byId.get(entry.details.touchpoint_id) || byMoment.get(key(entry));
    if (target) {
      if (!signalsOf.has(target.touchpoint_id)) signalsOf.set(target.touchpoint_id, []);
      signalsOf.get(target.touchpoint_id).push(entry);
    } else {
      standalone.push(entry);
    }
  }
  const shown = entries.filter((e) => kindOf(e) !== "signal" || standalone.includes(e));
  return { shown, signalsOf };
}

/** Which case a contact belongs to now: the cases' own lists (inferred and operator moves included) first. */
function caseResolver(caseDetails) {
  const attachedTo = new Map();
  caseDetails.forEach((d) => (d.touchpoints || []).forEach((tp) => attachedTo.set(tp.touchpoint_id, d.case.reference)));
  const loaded = new Set(caseDetails.map((d) => d.case.reference));
  return (entry) => {
    if (attachedTo.has(entry.touchpoint_id)) return attachedTo.get(entry.touchpoint_id);
    const claimed = entry.case?.reference || null;
    // A contact its claimed case no longer lists was moved away (or detached) by an operator.
    return kindOf(entry) === "touchpoint" && claimed && loaded.has(claimed) ? null : claimed;
  };
}

/**
 * timelineSection({citizenId, timeline, nextCursor, caseDetails, procedureNames, onChanged})
 * caseDetails: GET /v1/cases/{ref} answers of the citizen's cases (for "attach to case" and current links).
 */
export function timelineSection({ citizenId, timeline, nextCursor, caseDetails, procedureNames = new Map(), onChanged }) {
  const cases = caseDetails.map((d) => d.case);
  const referenceOf = caseResolver(caseDetails);
  let entries = [...timeline];
  let cursor = nextCursor;
  const list = h("ol", { class: "timeline", "data-testid": "timeline" });
  const count = h("p", { class: "muted timeline-count", "aria-live": "off" });
  const filter = select(
    { name: "channel-filter", "data-testid": "timeline-filter" },
    [{ value: "", label: t("timeline.allChannels") }, ...CHANNELS.map((ch) => ({ value: ch, label: channelName(ch) }))],
    "",
  );
  const more = h("button", { type: "button", class: "button", "data-testid": "timeline-more", hidden: !cursor }, t("timeline.more"));

  const render = () => {
    const { shown, signalsOf } = attachSignals(entries);
    const visible = shown.filter((e) => !filter.value || e.channel === filter.value);
    mount(
      list,
      visible.length
        ? visible.map((e) => entryItem(e, signalsOf.get(e.touchpoint_id) || [], { cases, procedureNames, referenceOf, onChanged }))
        : h("li", { class: "empty" }, t("timeline.empty")),
    );
    count.textContent = t("timeline.count", { count: visible.length });
    more.hidden = !cursor;
  };
  filter.addEventListener("change", render);
  more.addEventListener("click", async () => {
    more.disabled = true;
    try {
      const page = await api.citizen(citizenId, { limit: 100, cursor });
      entries = entries.concat(page.timeline || []);
      cursor = page.next_cursor || null;
      render();
      announce(t("timeline.loaded", { count: (page.timeline || []).length }), "info");
    } catch (error) {
      announce(errorMessage(error), "error");
    } finally {
      more.disabled = false;
    }
  });
  render();

  return h(
    "section",
    { class: "panel timeline-panel", "aria-labelledby": "timeline-title" },
    h("div", { class: "panel-header" }, h("h2", { id: "timeline-title" }, t("timeline.title")), field({ label: t("timeline.filter"), control: filter, className: "field field-inline" })),
    count,
    list,
    more,
  );
}

function entryItem(entry, signals, { cases, procedureNames, referenceOf, onChanged }) {
  const kind = kindOf(entry);
  const details = entry.details || {};
  const reference = referenceOf(entry);
  const badges = [];
  if (kind === "notification") badges.push(notificationBadge(details));
  if (kind === "signal") badges.push(signalBadge(details.signal));
  signals.forEach((s) => badges.push(signalBadge(s.details.signal)));
  const negative = kind === "signal" ? details.signal === "NegativeSentiment" : signals.some((s) => s.details.signal === "NegativeSentiment");

  return h(
    "li",
    {
      class: ["timeline-entry", `entry-${kind}`, negative && "entry-negative"],
      "data-testid": "timeline-entry",
      "data-channel": entry.channel,
      "data-kind": kind,
      "data-touchpoint-id": entry.touchpoint_id,
    },
    h(
      "div",
      { class: "entry-head" },
      channelLabel(entry.channel),
      h("time", { datetime: entry.occurred_at }, formatDateTime(entry.occurred_at)),
      kind !== "touchpoint" ? h("span", { class: "entry-kind" }, t(`timeline.kind.${kind}`)) : null,
      reference
        ? h("span", { class: "entry-case" }, t("timeline.case"), " ", caseLink(reference))
        : entry.case?.procedure
          ? h("span", { class: "entry-case muted" }, procedureNames.get(entry.case.procedure) || entry.case.procedure)
          : null,
    ),
    entry.text ? h("p", { class: "entry-text" }, entry.text) : summaryLine(details),
    badges.length ? h("p", { class: "badges" }, badges) : null,
    signals.length ? h("ul", { class: "signal-notes" }, signals.filter((s) => s.text).map((s) => h("li", {}, s.text))) : null,
    detailsPanel(details),
    kind === "touchpoint" && can("attachTouchpoint") && cases.length ? attachPanel(entry, reference, cases, onChanged) : null,
  );
}

function notificationBadge(details) {
  const parts = [t("timeline.notification", { kind: tOr(`notification.${details.notification}`, details.notification || "") })];
  if (details.via) parts.push(tOr(`via.${details.via}`, details.via));
  if (details.delivery) parts.push(tOr(`delivery.${details.delivery}`, details.delivery));
  const failed = ["failed", "unreachable"].includes(details.delivery);
  return badge(parts.join(" · "), failed ? "danger" : "info", { "data-testid": "notification-badge", "data-delivery": details.delivery || "" });
}

/** Entries without text (a web or app event): say what happened. */
function summaryLine(details) {
  const what = details.action || details.outcome || details.disposition;
  if (!what) return null;
  return h("p", { class: "entry-text muted" }, tOr(`action.${what}`, String(what).replace(/_/g, " ")), details.page ? ` — ${details.page}` : "", details.screen ? ` — ${details.screen}` : "");
}

function detailsPanel(details) {
  const rows = Object.entries(details).filter(([k, v]) => !HIDDEN_DETAILS.has(k) && v !== null && v !== "");
  if (!rows.length) return null;
  return h(
    "details",
    { class: "entry-details" },
    h("summary", {}, t("timeline.details")),
    h("dl", { class: "facts compact" }, rows.map(([k, v]) => h("div", { class: "fact" }, h("dt", {}, tOr(`detail.${k}`, k)), h("dd", {}, String(v))))),
  );
}

function attachPanel(entry, current, cases, onChanged) {
  const options = [
    ...cases.map((c) => ({ value: c.reference, label: `${c.reference} · ${c.procedure_name}${c.reference === current ? ` (${t("timeline.currentCase")})` : ""}` })),
    { value: "", label: t("timeline.noCase") },
  ];
  const preferred = cases.find((c) => c.reference !== current)?.reference ?? "";
  const caseSelect = select({ name: "reference", "data-testid": "attach-case" }, options, preferred);
  const reason = h("textarea", { name: "reason", rows: 2, minlength: 3, maxlength: 2000, "data-testid": "attach-reason" });
  const form = actionForm({
    testid: "attach-form",
    submitTestid: "attach-submit",
    submitLabel: t("timeline.attachSubmit"),
    fields: [
      field({ label: t("timeline.attachCase"), control: caseSelect }),
      field({ label: t("common.reason"), control: reason, required: true, hint: t("common.reasonHint") }),
    ],
    onSubmit: async () => {
      const reference = caseSelect.value || null;
      await api.moveTouchpoint(entry.touchpoint_id, { reference, actor: currentUser().username, reason: reason.value.trim() });
      return reference ? t("timeline.attached", { reference }) : t("timeline.detached");
    },
    onDone: onChanged,
  });
  return actionPanel(t("timeline.attach"), form, "attach-panel");
}
