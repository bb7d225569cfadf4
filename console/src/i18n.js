// Strings and formats in the operator's language: Spanish by default, English on request (remembered).

import { es } from "./locales/es.js";
import { en } from "./locales/en.js";

const CATALOGUES = { es, en };
const LOCALES = { es: "es-MX", en: "en-US" };
const STORAGE_KEY = "ventanilla.language";
const listeners = new Set();

function storedLanguage() {
  try {
    const value = localStorage.getItem(STORAGE_KEY);
    return value in CATALOGUES ? value : "es";
  } catch {
    return "es";
  }
}

let language = storedLanguage();

export function getLanguage() {
  return language;
}

export function setLanguage(next) {
  if (!(next in CATALOGUES) || next === language) return;
  language = next;
  try {
    localStorage.setItem(STORAGE_KEY, next);
  } catch {
    /* private mode: the choice lasts for this page only */
  }
  document.documentElement.lang = next;
  listeners.forEach((listener) => listener(next));
}

export function onLanguageChange(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/**
 * t("search.found", {name: "Ana"}): "{name}" placeholders; a missing key shows itself (and is easy to spot).
 * "one|other" templates pick by params.count ("{count} entrada|{count} entradas").
 */
export function t(key, params = {}) {
  let template = CATALOGUES[language][key] ?? CATALOGUES.es[key] ?? key;
  if (template.includes("|") && typeof params.count === "number") {
    const [one, other] = template.split("|");
    template = new Intl.PluralRules(LOCALES[language]).select(params.count) === "one" ? one : other;
  }
  return template.replace(/\{(\w+)\}/g, (_, name) => (name in params ? String(params[name]) : `{${name}}`));
}

/** t() for a key that may not exist (codes from the API): the fallback when it does not. */
export function tOr(key, fallback, params) {
  return key in CATALOGUES[language] || key in CATALOGUES.es ? t(key, params) : fallback;
}

/** Fill [data-i18n] text and [data-i18n-aria-label] attributes of static markup. */
export function translateStatic(root = document) {
  root.querySelectorAll("[data-i18n]").forEach((el) => {
    el.textContent = t(el.dataset.i18n);
  });
  root.querySelectorAll("[data-i18n-aria-label]").forEach((el) => {
    el.setAttribute("aria-label", t(el.dataset.i18nAriaLabel));
  });
}

function locale() {
  return LOCALES[language];
}

function toDate(value) {
  if (value instanceof Date) return value;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

export function formatDateTime(value) {
  const date = toDate(value);
  return date
    ? new Intl.DateTimeFormat(locale(), { dateStyle: "medium", timeStyle: "short" }).format(date)
    : String(value ?? "");
}

export function formatDate(value) {
  const date = toDate(value);
  return date ? new Intl.DateTimeFormat(locale(), { dateStyle: "medium" }).format(date) : String(value ?? "");
}

/** A calendar day "2026-03-05" as a short date, without shifting it through the local time zone. */
export function formatDay(day, style = "short") {
  const date = new Date(`${day}T12:00:00Z`);
  const options = style === "short" ? { day: "numeric", month: "short" } : { dateStyle: "medium" };
  return new Intl.DateTimeFormat(locale(), { ...options, timeZone: "UTC" }).format(date);
}

export function formatNumber(value, digits = 0) {
  if (value === null || value === undefined || Number.isNaN(value)) return t("common.noValue");
  return new Intl.NumberFormat(locale(), { maximumFractionDigits: digits }).format(value);
}

/** A ratio 0..1 as a percentage. */
export function formatPercent(ratio, digits = 1) {
  if (ratio === null || ratio === undefined || Number.isNaN(ratio)) return t("common.noValue");
  return new Intl.NumberFormat(locale(), { style: "percent", maximumFractionDigits: digits }).format(ratio);
}

/** A duration in milliseconds as "2 d 4 h" / "35 min". */
export function formatDuration(ms) {
  const minutes = Math.max(0, Math.round(Math.abs(ms) / 60000));
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  const mins = minutes % 60;
  if (days > 0) return t("duration.daysHours", { d: days, h: hours });
  if (hours > 0) return t("duration.hoursMinutes", { h: hours, m: mins });
  return t("duration.minutes", { m: mins });
}

