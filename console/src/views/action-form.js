// One pattern for every action: a labelled form that calls the API, announces the result and reloads.

import { h } from "../dom.js";
import { t } from "../i18n.js";
import { announce } from "../live.js";
import { errorMessage } from "../components.js";

/**
 * actionForm({testid, fields: [Node], submitLabel, submitTestid, onSubmit: async (form) => successMessage, onDone})
 * The submit button is disabled while the request runs; a failure is shown in the form and announced.
 */
export function actionForm({ testid, fields, submitLabel, submitTestid, onSubmit, onDone, className = "" }) {
  const error = h("p", { class: "form-error", hidden: true, "data-testid": `${testid}-error` });
  const submit = h("button", { type: "submit", class: "button button-primary", "data-testid": submitTestid }, submitLabel);
  const form = h(
    "form",
    { class: `action-form ${className}`, "data-testid": testid, novalidate: true },
    fields,
    error,
    h("div", { class: "form-actions" }, submit),
  );

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.hidden = true;
    const invalid = firstInvalid(form);
    if (invalid) {
      const message = t("form.invalid", { field: labelOf(form, invalid) });
      error.textContent = message;
      error.hidden = false;
      announce(message, "error");
      invalid.focus();
      return;
    }
    submit.disabled = true;
    form.setAttribute("aria-busy", "true");
    try {
      const message = await onSubmit(form);
      announce(message, "success");
      if (onDone) await onDone(message);
    } catch (failure) {
      const message = errorMessage(failure);
      error.textContent = message;
      error.hidden = false;
      announce(message, "error");
    } finally {
      submit.disabled = false;
      form.removeAttribute("aria-busy");
    }
  });
  return form;
}

/** The first control that fails its constraints (blank-but-spaces counts as empty); marks aria-invalid. */
function firstInvalid(form) {
  let first = null;
  for (const control of form.querySelectorAll("input, select, textarea")) {
    const text = typeof control.value === "string" ? control.value.trim() : "";
    const tooShort = control.minLength > 0 && text.length > 0 && text.length < control.minLength;
    const bad = (control.required && !text) || tooShort || !control.checkValidity();
    control.setAttribute("aria-invalid", bad ? "true" : "false");
    if (bad && !first) first = control;
  }
  return first;
}

function labelOf(form, control) {
  const label = control.id ? form.querySelector(`label[for="${CSS.escape(control.id)}"]`) : null;
  return label ? label.textContent : control.name;
}

/** A collapsible panel for an action (keyboard: summary is focusable, Enter/Space toggles). */
export function actionPanel(summary, content, testid) {
  return h("details", { class: "action-panel", "data-testid": testid }, h("summary", {}, summary), h("div", { class: "action-panel-body" }, content));
}
