// Settings: language, account, storage, and the device key + server URL as a QR code for OsmAnd.
import { useEffect, useState } from "preact/hooks";
import { renderSVG } from "uqr";
import { ApiError, request, signOut } from "../api.js";
import { getMeta, setMeta } from "../db.js";
import { messages, setLanguage, t } from "../i18n.js";
import { useStore } from "../store.js";
import { saveTiles } from "../tiles.js";

const TRACKER_URL = "/api/v1/patrols/tracker";

// The tracker key is shown by the server only when issued; the phone keeps it so the QR can be shown again.
function useTracker(userId) {
  const [tracker, setTracker] = useState(null);
  const [problem, setProblem] = useState(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    getMeta(`tracker:${userId}`).then((kept) => kept && setTracker(kept));
    request("GET", TRACKER_URL)
      .then((info) => setTracker((kept) => (info.issued && kept && kept.tracker_url ? kept : info)))
      .catch((error) => setProblem(error instanceof ApiError ? error.message : t("deviceKeyOffline")));
  }, []);
  const issue = async () => {
    setBusy(true);
    try {
      const issued = await request("POST", TRACKER_URL);
      await setMeta(`tracker:${userId}`, { issued: true, server_url: issued.server_url, tracker_url: issued.tracker_url, device_id: issued.device_id });
      setTracker(issued);
      setProblem(null);
    } catch (error) {
      setProblem(error instanceof ApiError ? error.message : t("deviceKeyOffline"));
    } finally {
      setBusy(false);
    }
  };
  return { tracker, problem, busy, issue };
}

export function SettingsScreen() {
  const state = useStore();
  const { tracker, problem, busy, issue } = useTracker(state.session.user.id);
  const url = tracker && tracker.tracker_url;
  return (
    <section class="settings">
      <div class="card">
        <h3>{t("language")}</h3>
        <div class="chips">
          {Object.keys(messages).map((lang) => (
            <button
              key={lang}
              id={`lang-${lang}`}
              class={state.lang === lang ? "chip-button selected" : "chip-button"}
              onClick={() => setLanguage(lang)}
            >
              {lang === "en" ? "English" : "简体中文"}
            </button>
          ))}
        </div>
      </div>
      <TextSize />
      <div class="card">
        <h3>{t("user")}</h3>
        <p>
          {state.session.user.full_name || state.session.user.username} ({state.session.user.username})
        </p>
        <button class="secondary" id="sign-out" onClick={signOut}>
          {t("signOut")}
        </button>
      </div>
      <div class="card" id="device-key">
        <h3>{t("deviceKey")}</h3>
        <p class="hint">{t("deviceKeyHelp")}</p>
        {url && (
          <>
            <div class="qr" dangerouslySetInnerHTML={{ __html: renderSVG(url, { border: 2 }) }} />
            <p>
              <code id="tracker-url">{url}</code>
            </p>
          </>
        )}
        {tracker && tracker.server_url && (
          <p>
            {t("serverUrl")}: <code>{tracker.server_url}</code>
          </p>
        )}
        {problem && <p class="muted">{problem}</p>}
        {state.session.user.role === "worker" && (
          <button class="secondary" id="issue-key" disabled={busy} onClick={issue}>
            {tracker && tracker.issued ? t("rotateKey") : t("issueKey")}
          </button>
        )}
      </div>
      <OfflineMap state={state} />
      <div class="card">
        <h3>{t("storage")}</h3>
        <p>{state.persisted ? t("persisted") : t("notPersisted")}</p>
        <p class="muted">
          {t("version")}: {__APP_VERSION__}
        </p>
      </div>
    </section>
  );
}

/** Keep the base map of my grids on the phone, for patrols without signal. */
function OfflineMap({ state }) {
  const basemap = state.data.basemap;
  const [progress, setProgress] = useState(null);
  const [result, setResult] = useState(null);
  if (!basemap || !basemap.url) return null;
  const save = async () => {
    setResult(null);
    setProgress({ done: 0, total: 0 });
    const answer = await saveTiles(state.data.grids, basemap, (done, total) => setProgress({ done, total }));
    setProgress(null);
    setResult(answer);
  };
  return (
    <div class="card" id="offline-map">
      <h3>{t("offlineMap")}</h3>
      <p class="hint">{t("offlineMapHelp")}</p>
      {progress && <p id="offline-map-progress">{t("offlineMapSaving", { done: progress.done, total: progress.total })}</p>}
      {result && (
        <p id="offline-map-result" data-kept={result.kept}>
          {t("offlineMapSaved", { kept: result.kept, total: result.total })}
        </p>
      )}
      <button class="secondary" id="save-offline-map" disabled={!!progress || !state.online} onClick={save}>
        {t("offlineMapSave")}
      </button>
    </div>
  );
}

/** Large text for older workers (适老化): a device setting, kept on the phone. */
function TextSize() {
  const [size, setSize] = useState(document.documentElement.classList.contains("large-text") ? "large" : "normal");
  const choose = async (value) => {
    document.documentElement.classList.toggle("large-text", value === "large");
    await setMeta("textSize", value);
    setSize(value);
  };
  return (
    <div class="card">
      <h3>{t("textSize")}</h3>
      <div class="chips">
        {["normal", "large"].map((value) => (
          <button key={value} id={`text-${value}`} class={size === value ? "chip-button selected" : "chip-button"} onClick={() => choose(value)}>
            {t(value === "large" ? "textLarge" : "textNormal")}
          </button>
        ))}
      </div>
    </div>
  );
}
