// Building DOM without innerHTML: every value from the API becomes a text node, never markup.

const SVG_NS = "http://www.w3.org/2000/svg";

function applyAttributes(el, attrs) {
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "on") {
      for (const [event, handler] of Object.entries(value)) el.addEventListener(event, handler);
    } else if (name === "class") {
      el.setAttribute("class", Array.isArray(value) ? value.filter(Boolean).join(" ") : value);
    } else if (name === "text") {
      el.textContent = value;
    } else if (name === "value" && "value" in el) {
      el.value = value;
    } else if (name === "checked" || name === "selected") {
      el[name] = Boolean(value);
    } else {
      el.setAttribute(name, value === true ? "" : String(value));
    }
  }
}

function appendChildren(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** h("p", {class: "x", "data-testid": "y", on: {click}}, "text", child, [more]) */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  applyAttributes(el, attrs);
  appendChildren(el, children);
  return el;
}

/** An SVG element (icons): s("svg", {viewBox: "0 0 24 24"}, s("path", {d: "…"})) */
export function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attrs)) el.setAttribute(name, String(value));
  appendChildren(el, children);
  return el;
}

/** Replace everything inside `el`. */
export function mount(el, ...children) {
  el.replaceChildren();
  appendChildren(el, children);
  return el;
}

let counter = 0;
/** A unique id for label/for and aria-describedby pairs. */
export function uid(prefix = "id") {
  counter += 1;
  return `${prefix}-${counter}`;
}

/** A labelled form field: label + control (+ hint), wired with for/id and aria-describedby. */
export function field({ label, control, hint, required = false, className = "field" }) {
  const id = control.id || uid("f");
  control.id = id;
  if (required) control.required = true;
  const hintEl = hint ? h("p", { class: "hint", id: `${id}-hint` }, hint) : null;
  if (hintEl) control.setAttribute("aria-describedby", hintEl.id);
  return h("div", { class: className }, h("label", { for: id }, label), hintEl, control);
}

/** <select> from [{value, label, disabled}] */
export function select(attrs, options, selected) {
  return h(
    "select",
    attrs,
    options.map((o) =>
      h("option", { value: o.value, selected: o.value === selected, disabled: o.disabled }, o.label),
    ),
  );
}
