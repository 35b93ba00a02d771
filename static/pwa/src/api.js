// JSON API calls with the stored bearer token; a 401 marks the session expired (the outbox is untouched).
import { get, set } from "./store.js";
import { setMeta } from "./db.js";
import { currentLanguage, serverMessage } from "./i18n.js";

export class ApiError extends Error {
  constructor(status, body) {
    super(serverMessage(body) || `HTTP ${status}`);
    this.status = status;
    this.body = body || {};
  }
}

export class Offline extends Error {}

/** A server photo as an object URL (the request carries the sign-in, so an <img src> cannot fetch it). */
export async function photoObjectUrl(photoId) {
  const session = get().session;
  const response = await fetch(`/api/v1/photos/${encodeURIComponent(photoId)}`, {
    headers: session && session.token ? { Authorization: `Bearer ${session.token}` } : {},
  });
  if (!response.ok) throw new ApiError(response.status, {});
  return URL.createObjectURL(await response.blob());
}

export async function request(method, url, { json, form, token, timeout = 20000 } = {}) {
  const session = get().session;
  const headers = { "Accept-Language": currentLanguage() };
  const bearer = token || (session && !session.expired && session.token);
  if (bearer) headers.Authorization = `Bearer ${bearer}`;
  let body;
  if (json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(json);
  } else if (form) {
    body = form;
  }
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeout);
  let response;
  try {
    response = await fetch(url, { method, headers, body, signal: controller.signal, cache: "no-store" });
  } catch (error) {
    throw new Offline(String(error));
  } finally {
    clearTimeout(timer);
  }
  let data = null;
  try {
    data = response.status === 204 ? null : await response.json();
  } catch {
    if (response.ok) throw new Offline("unreadable response");
  }
  if (response.status === 401 && bearer && !token) await expireSession();
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

export async function expireSession() {
  const session = get().session;
  if (!session || session.expired) return;
  const expired = { ...session, token: null, expired: true };
  await setMeta("session", expired);
  set({ session: expired });
}

export async function signIn(username, password) {
  const answer = await request("POST", "/api/v1/auth/login", { json: { username, password } });
  const token = answer.access_token;
  const user = answer.user || (await request("GET", "/api/v1/auth/me", { token }));
  const session = { token, user: { id: user.id, username: user.username, full_name: user.full_name, role: user.role } };
  await setMeta("session", session);
  const previous = get().session;
  if (previous && previous.user.id !== session.user.id) {
    // Another worker on this phone: nothing of the previous one's state may show (or count) for them.
    set({ session, lastSync: null, data: { grids: [], records: {}, basemap: null }, pending: 0, attention: 0 });
  } else {
    set({ session });
  }
  return session;
}

export async function signOut() {
  try {
    await request("POST", "/api/v1/auth/logout");
  } catch {
    // offline: the token is forgotten on the phone anyway
  }
  const session = get().session;
  const forgotten = session ? { user: session.user, token: null, expired: true, signedOut: true } : null;
  await setMeta("session", forgotten);
  set({ session: forgotten });
}
