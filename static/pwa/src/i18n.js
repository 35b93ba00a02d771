// Every UI string, Simplified Chinese by default, English switchable; all of them live in patrol/messages/*.json.
import { get, set } from "./store.js";
import { setMeta } from "./db.js";
// One catalogue with the server (error codes, labels) and the review page: patrol/messages/*.json.
import serverZh from "../../../patrol/messages/zh-CN.json";
import serverEn from "../../../patrol/messages/en.json";

const server = { "zh-CN": serverZh, en: serverEn };

// The worker app's own strings are the catalogue's "pwa.*" entries.
export const messages = { "zh-CN": section(serverZh, "pwa."), en: section(serverEn, "pwa.") };

function section(catalogue, prefix) {
  return Object.fromEntries(
    Object.entries(catalogue)
      .filter(([key]) => key.startsWith(prefix))
      .map(([key, value]) => [key.slice(prefix.length), value]),
  );
}

export function t(key, params = {}) {
  const lang = messages[get().lang] ? get().lang : "zh-CN";
  const text = messages[lang][key] ?? server[lang][key] ?? messages["zh-CN"][key] ?? serverZh[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (params[name] ?? ""));
}

// A server error in the phone's language: the catalogue text of its code, else the server's message.
export function serverMessage(body) {
  const lang = server[get().lang] ? get().lang : "zh-CN";
  const template = body && body.code ? server[lang][body.code] : undefined;
  if (template && !/\{\w+\}/.test(template)) return template;
  return body && body.message;
}

export function currentLanguage() {
  return messages[get().lang] ? get().lang : "zh-CN";
}

export async function setLanguage(lang, { remember = true } = {}) {
  document.documentElement.lang = lang;
  document.title = messages[lang].app;
  if (remember) await setMeta("lang", lang);
  set({ lang });
}

let zone = "Asia/Shanghai";

/** Show times in the zone the server is configured with (sent with every pull), not the phone's. */
export function setTimeZone(name) {
  if (name) zone = name;
}

function localParts(date) {
  const format = new Intl.DateTimeFormat("en-CA", {
    timeZone: zone, year: "numeric", month: "numeric", day: "numeric", hour: "2-digit", minute: "2-digit", hourCycle: "h23",
  });
  return Object.fromEntries(format.formatToParts(date).map((p) => [p.type, p.value]));
}

export function formatTime(iso) {
  if (!iso) return "";
  const at = localParts(new Date(iso));
  const now = localParts(new Date());
  const today = at.year === now.year && at.month === now.month && at.day === now.day;
  const time = `${at.hour}:${at.minute}`;
  return today ? time : `${at.month}-${at.day} ${time}`;
}
