// A case: procedure, status text, current step, SLA clock, history; advance a step or change its status.

import { api } from "../api.js";
import { h, field, select } from "../dom.js";
import { t, tOr, formatDateTime } from "../i18n.js";
import { can, currentUser } from "../auth.js";
import { CHANNELS, channelLabel, channelName } from "../channels.js";
import { statusBadge, statusLabel, slaClock, OPEN_STATUSES } from "../components.js";
import { actionForm, actionPanel } from "./action-form.js";

const SETTABLE_STATUSES = ["received", "in_review", "awaiting_citizen", "resolved", "closed"];

/** detail: GET /v1/cases/{ref} answer; procedure: its catalogue entry (or undefined); onChanged: reload. */
export function caseCard(detail, procedure, { onChanged, highlighted = false } = {}) {
  const c = detail.case;
  const open = OPEN_STATUSES.includes(c.status);
  const stepNames = new Map((procedure?.steps || []).map((s) => [s.id, s.name]));
  const completed = (c.completed_steps || []).map((id) => stepNames.get(id) || id);

  return h(
    "article",
    {
      class: ["card", "case-card", highlighted && "highlight"],
      id: `case-${c.reference}`,
      "data-testid": "case",
      "data-reference": c.reference,
      "data-status": c.status,
    },
    h(
      "div",
      { class: "card-header" },
      h("h3", {}, h("span", { class: "case-reference" }, c.reference), " · ", c.procedure_name),
      statusBadge(c.status),
    ),
    h("p", { class: "status-text", "data-testid": "case-status-text" }, c.status_text),
    h(
      "dl",
      { class: "facts" },
      fact(t("case.currentStep"), c.current_step_name || c.current_step || t("case.noStep"), "case-step"),
      c.next_action ? fact(t("case.nextAction"), c.next_action) : null,
      c.missing_documents?.length ? fact(t("case.missingDocuments"), c.missing_documents.join(", ")) : null,
      completed.length ? fact(t("case.completedSteps"), completed.join(" → ")) : null,
      fact(t("case.opened"), h("span", {}, formatDateTime(c.opened_at), " · ", channelLabel(c.opened_channel))),
    ),
    slaClock(c),
    open && can("advanceCase") && c.current_step ? advancePanel(c, procedure, onChanged) : null,
    open && can("setCaseStatus") ? statusPanel(c, onChanged) : null,
    historyPanel(detail.history || [], stepNames),
  );
}

function fact(term, value, testid) {
  return h("div", { class: "fact" }, h("dt", {}, term), h("dd", testid ? { "data-testid": testid } : {}, value));
}

function channelOptions(allowed) {
  const list = allowed && allowed.length ? allowed : CHANNELS;
  return list.map((ch) => ({ value: ch, label: channelName(ch) }));
}

function advancePanel(c, procedure, onChanged) {
  const steps = procedure?.steps || [{ id: c.current_step, name: c.current_step_name || c.current_step, channels: CHANNELS }];
  const done = new Set(c.completed_steps || []);
  const stepSelect = select(
    { name: "step", "data-testid": "advance-step" },
    steps.map((s) => ({
      value: s.id,
      label: done.has(s.id) ? t("case.stepDone", { name: s.name }) : s.name,
      disabled: done.has(s.id),
    })),
    c.current_step,
  );
  const channelSelect = select({ name: "channel", "data-testid": "advance-channel" }, []);
  const fillChannels = () => {
    const step = steps.find((s) => s.id === stepSelect.value);
    const options = channelOptions(step?.channels);
    const keep = options.some((o) => o.value === channelSelect.value) ? channelSelect.value : null;
    channelSelect.replaceChildren(...options.map((o) => h("option", { value: o.value }, o.label)));
    channelSelect.value = keep || (options.some((o) => o.value === "office") ? "office" : options[0].value);
  };
  stepSelect.addEventListener("change", fillChannels);
  fillChannels();

  const form = actionForm({
    testid: "advance-form",
    submitTestid: "advance-submit",
    submitLabel: t("case.advanceSubmit"),
    fields: [
      field({ label: t("case.step"), control: stepSelect, hint: t("case.stepHint") }),
      field({ label: t("case.channel"), control: channelSelect, hint: t("case.channelHint") }),
    ],
    onSubmit: async () => {
      await api.advanceCase(c.reference, { step: stepSelect.value, channel: channelSelect.value, actor: currentUser().username });
      return t("case.advanced", { reference: c.reference, step: stepSelect.selectedOptions[0]?.textContent || stepSelect.value });
    },
    onDone: onChanged,
  });
  return actionPanel(t("case.advance"), form, "advance-panel");
}

function statusPanel(c, onChanged) {
  const statusSelect = select(
    { name: "status", "data-testid": "status-select" },
    SETTABLE_STATUSES.map((s) => ({ value: s, label: statusLabel(s) })),
    c.status,
  );
  const channelSelect = select({ name: "channel", "data-testid": "status-channel" }, channelOptions(CHANNELS), "office");
  const note = h("textarea", { name: "note", rows: 2, minlength: 3, maxlength: 2000, "data-testid": "status-note" });
  const form = actionForm({
    testid: "status-form",
    submitTestid: "status-submit",
    submitLabel: t("case.statusSubmit"),
    fields: [
      field({ label: t("case.newStatus"), control: statusSelect }),
      field({ label: t("case.channel"), control: channelSelect }),
      field({ label: t("case.note"), control: note, hint: t("case.noteHint") }),
    ],
    onSubmit: async () => {
      await api.setCaseStatus(c.reference, {
        status: statusSelect.value,
        channel: channelSelect.value,
        actor: currentUser().username,
        note: note.value.trim() || null,
      });
      return t("case.statusChanged", { reference: c.reference, status: statusLabel(statusSelect.value) });
    },
    onDone: onChanged,
  });
  return actionPanel(t("case.changeStatus"), form, "status-panel");
}

function historyPanel(history, stepNames) {
  if (!history.length) return null;
  const items = [...history].reverse().map((entry) =>
    h(
      "li",
      {},
      h("time", { datetime: entry.at }, formatDateTime(entry.at)),
      " — ",
      h("strong", {}, tOr(`history.${entry.kind}`, entry.kind)),
      entry.step ? ` · ${stepNames.get(entry.step) || entry.step}` : "",
      entry.to_status ? ` · ${statusLabel(entry.to_status)}` : "",
      entry.channel ? h("span", {}, " · ", channelLabel(entry.channel)) : "",
      " · ",
      h("span", { class: "muted" }, t("history.by", { actor: entry.actor })),
      entry.note ? h("p", { class: "muted" }, entry.note) : null,
    ),
  );
  return h("details", { class: "history" }, h("summary", {}, t("case.history", { count: history.length })), h("ol", { class: "history-list" }, items));
}
