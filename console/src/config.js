// The console's runtime configuration: where the API is, its key, and how people sign in.

export class ConfigError extends Error {}

/** GET config.json (relative: /console/config.json) → {apiUrl, apiKey, auth: null | {url, clientId}} */
export async function loadConfig() {
  let response;
  try {
    response = await fetch("config.json", { cache: "no-store", headers: { Accept: "application/json" } });
  } catch (error) {
    throw new ConfigError(String(error));
  }
  if (!response.ok) throw new ConfigError(`config.json: HTTP ${response.status}`);
  const raw = await response.json();
  const auth = raw.auth && raw.auth.url && raw.auth.clientId ? { url: raw.auth.url, clientId: raw.auth.clientId } : null;
  return {
    apiUrl: String(raw.apiUrl || "").replace(/\/+$/, ""),
    apiKey: String(raw.apiKey || ""),
    auth,
  };
}
