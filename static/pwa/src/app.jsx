// The shell: status bar (pending, last sync), navigation, routes and the sign-in screen.
import { useState } from "preact/hooks";
import { ApiError, Offline, signIn } from "./api.js";
import { formatTime, t } from "./i18n.js";
import { get, go, useStore } from "./store.js";
import { drain, loadLocal, syncNow } from "./sync.js";
import { applyUpdate } from "./sw-client.js";
import { resume } from "./tracking.js";
import { Home } from "./screens/Home.jsx";
import { MapScreen } from "./screens/MapScreen.jsx";
import { PatrolScreen } from "./screens/Patrol.jsx";
import { ReportScreen } from "./screens/Report.jsx";
import { VisitScreen } from "./screens/Visit.jsx";
import { SettingsScreen } from "./screens/Settings.jsx";
import { AttentionScreen } from "./screens/Attention.jsx";
import { OutboxScreen } from "./screens/Outbox.jsx";
import { IncidentScreen } from "./screens/Incident.jsx";

const ROUTES = {
  "/": Home,
  "/map": MapScreen,
  "/patrol": PatrolScreen,
  "/report": ReportScreen,
  "/visit": VisitScreen,
  "/settings": SettingsScreen,
  "/attention": AttentionScreen,
  "/outbox": OutboxScreen,
  "/incident": IncidentScreen,
};

export function App() {
  const state = useStore();
  if (!state.session || state.session.expired) {
    return <Login expired={!!state.session && !state.session.signedOut} />;
  }
  const path = state.route.split("?")[0];
  const Screen = ROUTES[path] || Home;
  return (
    <div class="shell">
      <StatusBar />
      {state.updateReady && (
        <div class="banner" role="alert">
          {t("newVersion")}
          <button class="small" id="reload-update" onClick={applyUpdate}>
            {t("reload")}
          </button>
        </div>
      )}
      <main>
        <Screen />
      </main>
      <Nav />
      {state.toast && (
        <div class="toast" role="status">
          {state.toast}
        </div>
      )}
    </div>
  );
}

function StatusBar() {
  const state = useStore();
  return (
    <header class="status">
      <span class={state.online ? "dot on" : "dot off"}>{state.online ? t("online") : t("offline")}</span>
      <a href="#/outbox" id="pending-count" data-count={state.pending}>
        {t("pending", { n: state.pending })}
      </a>
      <span id="last-sync">{state.lastSync ? t("lastSync", { time: formatTime(state.lastSync) }) : t("never")}</span>
      {state.attention > 0 && (
        <a href="#/attention" id="attention-count" class="warn">
          {t("attention")} {state.attention}
        </a>
      )}
      <button class="small" id="sync-now" disabled={state.syncing} onClick={syncNow}>
        {state.syncing ? t("syncing") : t("syncNow")}
      </button>
    </header>
  );
}

function Nav() {
  const { route } = useStore();
  const item = (path, key) => (
    <a href={`#${path}`} class={route === path ? "active" : ""} id={`nav-${key}`}>
      {t(key)}
    </a>
  );
  return (
    <nav class="tabs">
      {item("/", "home")}
      {item("/map", "map")}
      {item("/patrol", "patrol")}
      {item("/settings", "settings")}
    </nav>
  );
}

function Login({ expired }) {
  const session = get().session;
  const [username, setUsername] = useState(session ? session.user.username : "");
  const [password, setPassword] = useState("");
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await signIn(username.trim(), password);
      await loadLocal();
      await resume();
      go("/");
      drain();
    } catch (err) {
      if (err instanceof Offline) setError(t("signInOffline"));
      else setError(t("signInFailed", { message: err instanceof ApiError ? err.message : String(err) }));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="login" onSubmit={submit}>
      <h1>{t("app")}</h1>
      {expired && <p class="notice">{t("signInAgain")}</p>}
      <label>
        {t("username")}
        <input id="username" autocomplete="username" value={username} onInput={(e) => setUsername(e.target.value)} required />
      </label>
      <label>
        {t("password")}
        <input
          id="password"
          type="password"
          autocomplete="current-password"
          value={password}
          onInput={(e) => setPassword(e.target.value)}
          required
        />
      </label>
      {error && <p class="error">{error}</p>}
      <button class="primary" id="sign-in" disabled={busy}>
        {t("signIn")}
      </button>
    </form>
  );
}
