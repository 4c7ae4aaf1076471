// The dashboard's only door to the server: the REST routes every API client uses, with the
// operator's token, and the error texts the API answers, shown as words.

const TOKEN_KEY = "garrison.token";
const USER_KEY = "garrison.user";

export const session = {
  get token() { return localStorage.getItem(TOKEN_KEY); },
  get user() { return localStorage.getItem(USER_KEY) || ""; },
  set(token, user) { localStorage.setItem(TOKEN_KEY, token); localStorage.setItem(USER_KEY, user || ""); },
  clear() { localStorage.removeItem(TOKEN_KEY); localStorage.removeItem(USER_KEY); },
};

export class ApiError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

/** The words to show for an error answer (Tactical RMM's dashboard reads them the same way). */
export function errorText(status, body) {
  if (typeof body === "string" && body.trim()) return body.trim();
  if (body && typeof body === "object") {
    if (typeof body.detail === "string") return body.detail;
    if (Array.isArray(body.non_field_errors) && body.non_field_errors.length) return String(body.non_field_errors[0]);
    const key = Object.keys(body)[0];
    if (key !== undefined) {
      const value = body[key];
      return `${key}: ${Array.isArray(value) ? value[0] : typeof value === "string" ? value : JSON.stringify(value)}`;
    }
  }
  if (status === 404) return "Not found (or outside what your role may see).";
  if (status >= 500) return `The server failed (HTTP ${status}). Try again; if it persists, look at the server's log.`;
  return `The server answered HTTP ${status} without an explanation.`;
}

let unauthorized = () => {};
/** Called with the message when a request with the stored token answers 401. */
export function onUnauthorized(handler) { unauthorized = handler; }

export async function api(method, path, body, { token } = {}) {
  const headers = { Accept: "application/json" };
  const credential = token ?? session.token;
  if (credential) headers.Authorization = `Token ${credential}`;
  const init = { method, headers };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (error) {
    throw new ApiError(0, `The server could not be reached (${error.message}). Check the connection and try again.`);
  }
  const text = await response.text();
  let data = null;
  if (text) {
    try { data = JSON.parse(text); } catch { data = text; }
  }
  if (!response.ok) {
    const error = new ApiError(response.status, errorText(response.status, data));
    if (response.status === 401 && token === undefined) unauthorized(error.message);
    throw error;
  }
  return data;
}

/** The websocket URL for a path, with the token in the query as Tactical RMM's websockets take it. */
export function socketURL(path) {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}${path}?access_token=${encodeURIComponent(session.token || "")}`;
}
