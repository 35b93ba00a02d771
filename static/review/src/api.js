// The JSON API with the bearer token kept for this browser tab; messages in the page's language.
import { currentLocale, serverMessage } from "./i18n.js";

const TOKEN_KEY = "review.token";

export class ApiError extends Error {
  constructor(status, body) {
    super(serverMessage(body) || `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

export function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function authHeaders(extra = {}) {
  return { Authorization: `Bearer ${token()}`, "Accept-Language": currentLocale(), ...extra };
}

export async function login(username, password) {
  const response = await fetch("/api/v1/auth/login", {
    method: "POST",
    headers: { "Content-Type": "application/json", "Accept-Language": currentLocale() },
    body: JSON.stringify({ username, password }),
  });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new ApiError(response.status, body);
  sessionStorage.setItem(TOKEN_KEY, body.access_token);
  return body;
}

export async function logout() {
  await fetch("/api/v1/auth/logout", { method: "POST", headers: authHeaders() }).catch(() => {});
  sessionStorage.removeItem(TOKEN_KEY);
}

export async function request(method, url, { json, headers = {} } = {}) {
  const init = { method, headers: authHeaders(headers) };
  if (json !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(json);
  }
  const response = await fetch(url, init);
  if (response.status === 401) {
    sessionStorage.removeItem(TOKEN_KEY);
    location.reload();
  }
  const body = response.status === 204 ? null : await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(response.status, body);
  return body;
}

export const get = (url) => request("GET", url);
export const post = (url, json, headers) => request("POST", url, { json, headers });

export async function download(url) {
  const response = await fetch(url, { headers: authHeaders() });
  if (!response.ok) throw new ApiError(response.status, await response.json().catch(() => null));
  const match = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(response.headers.get("Content-Disposition") || "");
  return { blob: await response.blob(), name: match ? decodeURIComponent(match[1]) : "download" };
}

export function query(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined && value !== null && value !== "") search.set(key, value);
  const text = search.toString();
  return text ? `?${text}` : "";
}
