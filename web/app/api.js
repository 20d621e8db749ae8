// The portal's one way to the API: the session (an access token held in memory only; the
// refresh token lives in auth's HttpOnly cookie, out of every script's reach), JSON in and
// out, and problems (RFC 9457) turned into errors that name their fields.

/** A problem the API answered, or "unreachable" when no answer came. */
export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem || {};
    // field name -> message, for showing each next to its input.
    this.fields = Object.fromEntries((this.problem.errors || []).map((e) => [e.field, e.message]));
  }
}

let access = null; // { token, user, expiresAt }
const listeners = new Set();

/** Who is signed in (null when nobody is). */
export const currentUser = () => access?.user ?? null;

/** Calls `fn` on every sign-in and sign-out. */
export function onSessionChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

function setSession(tokens) {
  access = tokens
    ? { token: tokens.access_token, user: tokens.user, expiresAt: Date.now() + tokens.expires_in * 1000 }
    : null;
  listeners.forEach((fn) => fn(currentUser()));
}

async function raw(method, path, body, token) {
  const headers = { accept: "application/json" };
  if (body !== undefined) headers["content-type"] = "application/json";
  if (token) headers.authorization = `Bearer ${token}`;
  let resp;
  try {
    resp = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
    });
  } catch {
    throw new ApiError(0, { title: "unreachable" });
  }
  if (resp.status === 204) return null;
  const text = await resp.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!resp.ok) throw new ApiError(resp.status, data);
  return data;
}

let refreshing = null;

/** Trades auth's cookie for a new access token; false when there is no live sign-in. */
export function restore() {
  refreshing ??= raw("POST", "/api/auth/refresh", {})
    .then((tokens) => {
      setSession(tokens);
      return true;
    })
    .catch((e) => {
      if (e.status === 0) throw e;
      setSession(null);
      return false;
    })
    .finally(() => {
      refreshing = null;
    });
  return refreshing;
}

/**
 * A call as the signed-in user. A token about to lapse is refreshed first, and a 401 (expired,
 * revoked, role changed) is retried once after a refresh; if that fails the session ends.
 */
export async function call(method, path, body) {
  if (access && access.expiresAt - Date.now() < 30_000) await restore();
  try {
    return await raw(method, path, body, access?.token);
  } catch (e) {
    if (e.status !== 401 || !access) throw e;
    if (!(await restore())) throw e;
    return raw(method, path, body, access?.token);
  }
}

/** The signed-in user's access token, refreshed first when about to lapse (for requests the
 * portal makes itself, such as the notification stream). */
export async function bearer() {
  if (access && access.expiresAt - Date.now() < 30_000) await restore();
  return access?.token ?? null;
}

export const get = (path) => call("GET", path);
export const post = (path, body = {}) => call("POST", path, body);
export const put = (path, body) => call("PUT", path, body);
export const patch = (path, body) => call("PATCH", path, body);

export async function signIn(email, password) {
  setSession(await raw("POST", "/api/auth/login", { email, password, refresh_cookie: true }));
}

export const register = (email, display_name, password) =>
  raw("POST", "/api/auth/register", { email, display_name, password });

/** Asks for a reset link (answered alike whether or not the address has an account). */
export const requestReset = (email) => raw("POST", "/api/auth/password-reset", { email });

/** Sets a new password with the token from a reset link. */
export const confirmReset = (token, password) =>
  raw("POST", "/api/auth/password-reset/confirm", { token, password });

/** auth's health: whether the first admin exists, whether booking needs a verified address. */
export const authHealth = () => raw("GET", "/api/auth/health");

export async function signOut() {
  try {
    await raw("DELETE", "/api/auth/refresh");
  } catch {
    // Signed out here whatever auth said: the cookie is gone or dead either way.
  }
  setSession(null);
}

/** `path?query` from an object, skipping empty values. */
export function withQuery(path, params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== "") q.set(k, v);
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}
