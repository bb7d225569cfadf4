// Who is using the console and what their role lets them do.
// Sign-in is the Amazon Cognito InitiateAuth call (USER_PASSWORD_AUTH); the IdToken lives in sessionStorage.

const TOKEN_KEY = "ventanilla.idToken";
const ROLE_ORDER = ["supervisor", "agent", "auditor"];

// What each role may do in the console (the API enforces the same: shared/auth.py).
const PERMISSIONS = {
  attachTouchpoint: ["agent", "supervisor"],
  advanceCase: ["agent", "supervisor"],
  setCaseStatus: ["agent", "supervisor"],
  merge: ["supervisor"],
  split: ["supervisor"],
  decideReview: ["supervisor"],
};

export class SignInError extends Error {
  constructor(message, type) {
    super(message);
    this.type = type;
  }
}

let authConfig = null;
let localUser = null;

/** auth: null (no sign-in: the local runtime, everyone is supervisor "local") or {url, clientId}. */
export function initAuth(auth) {
  authConfig = auth;
  localUser = auth ? null : { username: "local", roles: ["supervisor"], role: "supervisor" };
}

export function signInRequired() {
  return authConfig !== null;
}

function base64UrlDecode(part) {
  const base64 = part.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(part.length / 4) * 4, "=");
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  return new TextDecoder().decode(bytes);
}

/** The JWT's payload (no verification: the API Gateway authorizer verifies it). */
export function decodeToken(token) {
  const parts = String(token || "").split(".");
  if (parts.length !== 3) return null;
  try {
    return JSON.parse(base64UrlDecode(parts[1]));
  } catch {
    return null;
  }
}

function groupsOf(claims) {
  const value = claims["cognito:groups"];
  if (Array.isArray(value)) return value.map(String);
  return String(value || "")
    .split(/[\s,[\]]+/)
    .filter(Boolean);
}

function userFromToken(token) {
  const claims = decodeToken(token);
  if (!claims) return null;
  if (typeof claims.exp === "number" && claims.exp * 1000 <= Date.now()) return null;
  const roles = groupsOf(claims).filter((g) => ROLE_ORDER.includes(g));
  return {
    username: claims["cognito:username"] || claims.username || claims.email || claims.sub || "?",
    roles,
    role: ROLE_ORDER.find((r) => roles.includes(r)) || null,
  };
}

function storedToken() {
  try {
    return sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

/** The signed-in user {username, roles, role}, or null. */
export function currentUser() {
  if (localUser) return localUser;
  const token = storedToken();
  const user = token ? userFromToken(token) : null;
  if (token && !user) signOut(); // expired or unreadable
  return user;
}

/** The raw IdToken for the Authorization header (no "Bearer"), or null. */
export function idToken() {
  return authConfig ? storedToken() : null;
}

export function can(action) {
  const user = currentUser();
  return Boolean(user && user.role && (PERMISSIONS[action] || []).includes(user.role));
}

/** Whether this user may do anything at all (an auditor may not). */
export function canAct() {
  return Object.keys(PERMISSIONS).some(can);
}

export async function signIn(username, password) {
  let response;
  try {
    response = await fetch(authConfig.url, {
      method: "POST",
      headers: {
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": "AWSCognitoIdentityProviderService.InitiateAuth",
      },
      body: JSON.stringify({
        AuthFlow: "USER_PASSWORD_AUTH",
        ClientId: authConfig.clientId,
        AuthParameters: { USERNAME: username, PASSWORD: password },
      }),
    });
  } catch (error) {
    throw new SignInError(String(error.message || error), "NetworkError");
  }
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    throw new SignInError(body.message || body.Message || `HTTP ${response.status}`, body.__type || "Error");
  }
  const token = body.AuthenticationResult && body.AuthenticationResult.IdToken;
  if (!token) {
    // A challenge (e.g. NEW_PASSWORD_REQUIRED) cannot be completed here.
    throw new SignInError(body.ChallengeName || "no IdToken", "ChallengeNotSupported");
  }
  const user = userFromToken(token);
  if (!user) throw new SignInError("unreadable token", "InvalidToken");
  sessionStorage.setItem(TOKEN_KEY, token);
  return user;
}

export function signOut() {
  try {
    sessionStorage.removeItem(TOKEN_KEY);
  } catch {
    /* nothing stored */
  }
}
