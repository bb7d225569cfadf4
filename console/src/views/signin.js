// Sign-in form (only when config.json names an auth endpoint).

import { h, mount, field } from "../dom.js";
import { t } from "../i18n.js";
import { announce } from "../live.js";
import { signIn } from "../auth.js";
import { pageHeading } from "../components.js";

export function renderSignIn(container, { onSignedIn }) {
  const username = h("input", { type: "text", name: "username", autocomplete: "username", "data-testid": "signin-username" });
  const password = h("input", {
    type: "password",
    name: "password",
    autocomplete: "current-password",
    "data-testid": "signin-password",
  });
  const error = h("p", { class: "form-error", "data-testid": "signin-error", hidden: true });
  const submit = h("button", { type: "submit", class: "button button-primary", "data-testid": "signin-submit" }, t("signin.submit"));

  const form = h(
    "form",
    { class: "card signin-form", "data-testid": "signin-form", novalidate: true },
    field({ label: t("signin.username"), control: username, required: true }),
    field({ label: t("signin.password"), control: password, required: true }),
    error,
    h("div", { class: "form-actions" }, submit),
  );

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.hidden = true;
    if (!username.value.trim() || !password.value) {
      error.textContent = t("signin.missing");
      error.hidden = false;
      announce(error.textContent, "error");
      (username.value.trim() ? password : username).focus();
      return;
    }
    submit.disabled = true;
    submit.textContent = t("signin.working");
    try {
      const user = await signIn(username.value.trim(), password.value);
      onSignedIn(user);
    } catch (failure) {
      const message =
        failure.type === "ChallengeNotSupported" ? t("signin.challenge", { name: failure.message }) : failure.message;
      error.textContent = message;
      error.hidden = false;
      announce(message, "error");
      password.value = "";
      password.focus();
    } finally {
      submit.disabled = false;
      submit.textContent = t("signin.submit");
    }
  });

  mount(container, pageHeading(t("signin.title"), t("signin.intro")), form);
  username.focus();
}
