// Settings: language, account, storage, and the device key + server URL as a QR code for OsmAnd.
import { useEffect, useState } from "preact/hooks";
import { renderSVG } from "uqr";
import { ApiError, request, signOut } from "../api.js";
import { messages, setLanguage, t } from "../i18n.js";
import { useStore } from "../store.js";

const DEVICE_KEY_URL = "/api/v1/patrols/device-key";

function trackerUrl(answer) {
  if (answer.url) return answer.url;
  const key = answer.device_id || answer.key || answer.device_key;
  return `${location.origin}/api/v1/osmand?id=${encodeURIComponent(key)}`;
}

export function SettingsScreen() {
  const state = useStore();
  const [device, setDevice] = useState(null);
  const [deviceProblem, setDeviceProblem] = useState(null);
  useEffect(() => {
    request("GET", DEVICE_KEY_URL)
      .then(setDevice)
      .catch((error) => setDeviceProblem(error instanceof ApiError ? t("deviceKeyNone") : t("deviceKeyOffline")));
  }, []);
  const url = device && trackerUrl(device);
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
        {url ? (
          <>
            <p class="hint">{t("deviceKeyHelp")}</p>
            <div class="qr" dangerouslySetInnerHTML={{ __html: renderSVG(url, { border: 2 }) }} />
            <p>
              {t("serverUrl")}: <code id="tracker-url">{url}</code>
            </p>
          </>
        ) : (
          <p class="muted">{deviceProblem}</p>
        )}
      </div>
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
