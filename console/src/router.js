// Hash routes: #/search, #/citizen/<id>[?case=<ref>], #/case/<ref>, #/reviews, #/health.
// Hashes that do not start with "#/" (the skip link's #main) are not routes and are left alone.

const ROUTES = [
  { name: "search", pattern: /^\/search$/ },
  { name: "citizen", pattern: /^\/citizen\/([^/?]+)$/, params: ["id"] },
  { name: "case", pattern: /^\/case\/([^/?]+)$/, params: ["reference"] },
  { name: "reviews", pattern: /^\/reviews$/ },
  { name: "health", pattern: /^\/health$/ },
];
export const DEFAULT_ROUTE = "#/search";

/** "#/citizen/cit-1?case=LIC-2026-000123" → {name: "citizen", params: {id}, query: URLSearchParams} */
export function parseHash(hash) {
  const raw = (hash || "").replace(/^#/, "");
  const [path, search = ""] = raw.split("?");
  for (const route of ROUTES) {
    const match = route.pattern.exec(path);
    if (match) {
      const params = {};
      (route.params || []).forEach((name, i) => {
        params[name] = decodeURIComponent(match[i + 1]);
      });
      return { name: route.name, params, query: new URLSearchParams(search) };
    }
  }
  return null;
}

export function href(name, params = {}, query = {}) {
  const paths = {
    search: "/search",
    citizen: `/citizen/${encodeURIComponent(params.id || "")}`,
    case: `/case/${encodeURIComponent(params.reference || "")}`,
    reviews: "/reviews",
    health: "/health",
  };
  const search = new URLSearchParams(Object.entries(query).filter(([, v]) => v)).toString();
  return `#${paths[name]}${search ? `?${search}` : ""}`;
}

export function navigate(hash, { replace = false } = {}) {
  if (replace) {
    history.replaceState(null, "", hash);
    window.dispatchEvent(new HashChangeEvent("hashchange"));
  } else if (location.hash === hash) {
    window.dispatchEvent(new HashChangeEvent("hashchange"));
  } else {
    location.hash = hash;
  }
}

/** Calls onRoute(route) now and on every change to a route hash; unknown "#/…" go to the default. */
export function startRouter(onRoute) {
  const handle = () => {
    if (location.hash && !location.hash.startsWith("#/")) return; // an in-page anchor
    const route = parseHash(location.hash);
    if (!route) {
      navigate(DEFAULT_ROUTE, { replace: true });
      return;
    }
    onRoute(route);
  };
  window.addEventListener("hashchange", handle);
  handle();
}
