// Start-up: restore the session and data from IndexedDB, render, register the service worker, drain.
import { render } from "preact";
import "./style.css";
import { App } from "./app.jsx";
import { getMeta } from "./db.js";
import { messages, setLanguage } from "./i18n.js";
import { set } from "./store.js";
import { drain, installTriggers, loadLocal } from "./sync.js";
import { resume } from "./tracking.js";
import { registerWorker } from "./sw-client.js";

async function boot() {
  const [session, lang, textSize] = await Promise.all([getMeta("session"), getMeta("lang", "zh-CN"), getMeta("textSize", "normal")]);
  document.documentElement.classList.toggle("large-text", textSize === "large");
  await setLanguage(messages[lang] ? lang : "zh-CN", { remember: false });
  set({ session });
  await loadLocal();
  const root = document.getElementById("app");
  root.textContent = "";
  render(<App />, root);
  await resume();
  installTriggers();
  registerWorker();
  if (navigator.storage && navigator.storage.persist) {
    navigator.storage.persist().then((persisted) => set({ persisted }));
  }
  drain();
}

boot();
