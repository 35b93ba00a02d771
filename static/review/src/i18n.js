// Message catalogues: zh-CN is the default, en the alternative; no UI string lives in the components.
// The server's catalogue (error codes, status and reason labels) is shared: patrol/messages/*.json.
import serverZh from "../../../patrol/messages/zh-CN.json";
import serverEn from "../../../patrol/messages/en.json";

// The review page's own strings are the catalogue's "review.*" entries.
const zh = section(serverZh, "review.");
const en = section(serverEn, "review.");

function section(catalogue, prefix) {
  return Object.fromEntries(
    Object.entries(catalogue)
      .filter(([key]) => key.startsWith(prefix))
      .map(([key, value]) => [key.slice(prefix.length), value]),
  );
}

const catalogues = { "zh-CN": { ...serverZh, ...zh }, en: { ...serverEn, ...en } };
let locale = localStorage.getItem("review.locale") || "zh-CN";

export function t(key, values = {}) {
  const text = (catalogues[locale] || catalogues["zh-CN"])[key] ?? catalogues["zh-CN"][key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => String(values[name] ?? ""));
}

// A server error in the page's language: the catalogue text of its code, else the server's message.
export function serverMessage(body) {
  const template = body && body.code ? (catalogues[locale] || catalogues["zh-CN"])[body.code] : undefined;
  if (template && !/\{\w+\}/.test(template)) return template;
  return body && body.message;
}

export function currentLocale() {
  return locale;
}

export function toggleLocale() {
  locale = locale === "zh-CN" ? "en" : "zh-CN";
  localStorage.setItem("review.locale", locale);
}

export function translatePage(root = document) {
  document.documentElement.lang = locale;
  for (const node of root.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
}
