// The operator API client: apiUrl + path, x-api-key, the IdToken when signed in; errors as ApiError.

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

const settings = { apiUrl: "", apiKey: "", token: () => null, onUnauthorized: () => {} };

export function configureApi({ apiUrl, apiKey, token, onUnauthorized }) {
  Object.assign(settings, { apiUrl, apiKey });
  if (token) settings.token = token;
  if (onUnauthorized) settings.onUnauthorized = onUnauthorized;
}

function queryString(query) {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query || {})) {
    if (value !== undefined && value !== null && value !== "") params.set(name, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : "";
}

async function request(method, path, { query, body } = {}) {
  const headers = { Accept: "application/json" };
  // Locally the console sends its key; in AWS CloudFront adds it on the way to the API (config apiKey "").
  if (settings.apiKey) headers["x-api-key"] = settings.apiKey;
  const token = settings.token();
  if (token) headers.Authorization = token;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(settings.apiUrl + path + queryString(query), {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (error) {
    throw new ApiError(0, "network_error", String(error.message || error));
  }
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!response.ok) {
    const error = new ApiError(
      response.status,
      (data && data.error) || "http_error",
      (data && (data.message || data.Message)) || `HTTP ${response.status}`,
    );
    if (response.status === 401) settings.onUnauthorized(error);
    throw error;
  }
  return data;
}

const enc = encodeURIComponent;

export const api = {
  /** Who this is: query is one of {phone, email, national_id, handle: "platform:handle"}. */
  context: (query, language) => request("GET", "/v1/context", { query: { ...query, language } }),
  findCitizens: (query) => request("GET", "/v1/citizens", { query }),
  citizen: (id, { limit = 100, cursor } = {}) =>
    request("GET", `/v1/citizens/${enc(id)}`, { query: { limit, cursor } }),
  identity: (id) => request("GET", `/v1/citizens/${enc(id)}/identity`, { query: { limit: 200 } }),
  merge: (id, body) => request("POST", `/v1/citizens/${enc(id)}/merge`, { body }),
  split: (id, body) => request("POST", `/v1/citizens/${enc(id)}/split`, { body }),

  getCase: (reference, language) => request("GET", `/v1/cases/${enc(reference)}`, { query: { language } }),
  advanceCase: (reference, body) => request("POST", `/v1/cases/${enc(reference)}/steps`, { body }),
  setCaseStatus: (reference, body) => request("POST", `/v1/cases/${enc(reference)}/status`, { body }),
  moveTouchpoint: (touchpointId, body) => request("POST", `/v1/touchpoints/${enc(touchpointId)}/case`, { body }),
  procedures: (language) => request("GET", "/v1/procedures", { query: { language } }),

  reviews: () => request("GET", "/v1/reviews", { query: { limit: 50 } }),
  decideReview: (id, body) => request("POST", `/v1/reviews/${enc(id)}/decision`, { body }),

  /** {from, to, by, daily} → {groups, equity_gap, days?} */
  journeyMetrics: ({ from, to, by, daily }) =>
    request("GET", "/v1/metrics/journeys", { query: { from, to, by, daily: daily ? "true" : undefined } }),
  attention: () => request("GET", "/v1/metrics/attention"),
};
