// Start-up and the shell: configuration, language, sign-in, header, and which page is shown.

import { configureApi } from "./api.js";
import { initAuth, signInRequired, currentUser, idToken, signOut } from "./auth.js";
import { loadConfig } from "./config.js";
import { mount } from "./dom.js";
import { t, getLanguage, setLanguage, onLanguageChange, translateStatic } from "./i18n.js";
import { announce, initLive, clearStaleAnnouncement } from "./live.js";
import { startRouter, parseHash, navigate, DEFAULT_ROUTE } from "./router.js";
import { errorBox, errorMessage, pageHeading } from "./components.js";
import { renderSignIn } from "./views/signin.js";
import { renderSearch } from "./views/search.js";
import { renderCitizen } from "./views/citizen.js";
import { renderCase } from "./views/case.js";
import { renderReviews } from "./views/reviews.js";
import { renderHealth } from "./views/health.js";

const VIEWS = {
  search: { render: renderSearch, title: "nav.search", nav: "search" },
  citizen: { render: renderCitizen, title: "citizen.title", nav: null },
  case: { render: renderCase, title: "case.title", nav: null },
  reviews: { render: renderReviews, title: "nav.reviews", nav: "reviews" },
  health: { render: renderHealth, title: "nav.health", nav: "health" },
};

const shell = {
  main: document.getElementById("main"),
  nav: document.querySelector('[data-testid="main-nav"]'),
  userInfo: document.querySelector('[data-testid="user-info"]'),
  userName: document.querySelector('[data-testid="user-name"]'),
  userRole: document.querySelector('[data-testid="user-role"]'),
  signOut: document.querySelector('[data-testid="sign-out"]'),
  language: document.querySelector('[data-testid="language-switch"]'),
  skip: document.querySelector('[data-testid="skip-link"]'),
};

let currentRoute = null;
let cleanup = null;
let renderCount = 0;
let firstRender = true;

function updateLanguageSwitch() {
  const other = getLanguage() === "es" ? "en" : "es";
  shell.language.textContent = t(`language.switchTo.${other}`);
  shell.language.lang = other;
  shell.language.setAttribute("aria-label", t(`language.switchLabel.${other}`));
}

function updateHeader() {
  const user = currentUser();
  shell.nav.hidden = !user;
  shell.userInfo.hidden = !user;
  shell.signOut.hidden = !(user && signInRequired());
  if (user) {
    shell.userName.textContent = user.username;
    shell.userRole.textContent = user.role ? t(`role.${user.role}`) : t("role.none");
    shell.userRole.dataset.role = user.role || "none";
  }
}

function markCurrentNav(navName) {
  shell.nav.querySelectorAll("a[data-route]").forEach((link) => {
    if (link.dataset.route === navName) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  });
}

function focusHeading() {
  const heading = shell.main.querySelector("h1");
  if (heading) heading.focus({ preventScroll: false });
  else shell.main.focus();
}

function runCleanup() {
  if (typeof cleanup === "function") cleanup();
  cleanup = null;
}

/** focus: move focus to the page's h1 when done; fresh: a new page (stale messages are cleared). */
async function showRoute(route, { focus = true, fresh = true } = {}) {
  if (fresh) clearStaleAnnouncement();
  currentRoute = route;
  runCleanup();
  const ticket = ++renderCount;
  if (signInRequired() && !currentUser()) {
    showSignIn();
    return;
  }
  updateHeader();
  const view = VIEWS[route.name];
  markCurrentNav(view.nav);
  document.title = `${t(view.title)} · ${t("shell.title")}`;
  const ctx = {
    isCurrent: () => ticket === renderCount,
    reload: () => showRoute(route, { fresh: false }),
    setTitle: (text) => {
      document.title = `${text} · ${t("shell.title")}`;
    },
  };
  try {
    cleanup = await view.render(shell.main, route, ctx);
  } catch (error) {
    if (!ctx.isCurrent()) return;
    mount(shell.main, pageHeading(t(view.title)), errorBox(error));
    announce(errorMessage(error), "error");
  }
  if (!ctx.isCurrent()) return;
  if (!firstRender && focus) focusHeading();
  firstRender = false;
}

let signingIn = false;

function showSignIn() {
  renderCount += 1; // whatever page was loading is no longer current
  signingIn = true;
  runCleanup();
  updateHeader();
  document.title = `${t("signin.title")} · ${t("shell.title")}`;
  renderSignIn(shell.main, {
    onSignedIn: (user) => {
      signingIn = false;
      announce(t("signin.welcome", { name: user.username }), "success");
      updateHeader();
      showRoute(parseHash(location.hash) || parseHash(DEFAULT_ROUTE));
    },
  });
}

function handleUnauthorized() {
  if (!signInRequired() || signingIn) return; // no sign-in here (the error shows where it happened), or already
  signOut();
  announce(t("signin.expired"), "error");
  showSignIn();
}

function wireShell() {
  shell.language.addEventListener("click", () => setLanguage(getLanguage() === "es" ? "en" : "es"));
  shell.signOut.addEventListener("click", () => {
    signOut();
    announce(t("signin.signedOut"), "info");
    showSignIn();
  });
  shell.skip.addEventListener("click", (event) => {
    event.preventDefault(); // "#main" is not a route
    shell.main.focus();
  });
  onLanguageChange(() => {
    translateStatic();
    updateLanguageSwitch();
    // The address, not the route first shown: a page may have updated its query since (health's filters).
    if (currentRoute) showRoute(parseHash(location.hash) || currentRoute, { focus: false, fresh: false });
    else if (signInRequired() && !currentUser()) showSignIn();
    announce(t("language.changed"), "info");
  });
}

async function start() {
  document.documentElement.lang = getLanguage();
  initLive(document.querySelector('[data-testid="live-region"]'));
  translateStatic();
  updateLanguageSwitch();
  wireShell();
  let config;
  try {
    config = await loadConfig();
  } catch (error) {
    mount(shell.main, pageHeading(t("shell.title")), errorBox({ message: t("error.config", { detail: error.message }) }));
    announce(t("error.config", { detail: error.message }), "error");
    return;
  }
  initAuth(config.auth);
  configureApi({ apiUrl: config.apiUrl, apiKey: config.apiKey, token: idToken, onUnauthorized: handleUnauthorized });
  if (!location.hash.startsWith("#/")) navigate(DEFAULT_ROUTE, { replace: true });
  startRouter((route) => showRoute(route));
}

start();

