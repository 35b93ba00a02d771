// Records the server refused, in words, one card per record (a patrol's start, fixes and finish are one);
// fixed here where the worker can fix them, resent, never dropped silently.
import { useEffect, useState } from "preact/hooks";
import { formatTime, messages, serverMessage, t } from "../i18n.js";
import { items, recordKey, refreshCounts, remove, resend } from "../outbox.js";
import { categories } from "../records.js";
import { get, useStore } from "../store.js";
import { drain } from "../sync.js";

export function AttentionScreen() {
  const state = useStore();
  const [records, setRecords] = useState([]);
  const reload = () =>
    items(state.session.user.id).then((all) => {
      const byRecord = new Map();
      for (const item of all.filter((i) => i.status === "rejected")) {
        const key = recordKey(item);
        if (!byRecord.has(key)) byRecord.set(key, []);
        byRecord.get(key).push(item);
      }
      setRecords([...byRecord.entries()]);
    });
  useEffect(() => {
    reload();
  }, [state.pending, state.attention]);
  return (
    <section>
      <h2>{t("attentionTitle")}</h2>
      {records.length ? <p class="hint">{t("attentionHelp")}</p> : <p class="muted">{t("attentionEmpty")}</p>}
      {records.map(([key, list]) => (
        <Rejected key={key} list={list} onChange={reload} />
      ))}
    </section>
  );
}

/** The server's reasons in words: its message, then each field it named (by the field's name where known). */
function Reasons({ list }) {
  const table = messages[get().lang] || messages["zh-CN"];
  const lines = new Set();
  for (const item of list) {
    const message = serverMessage(item);
    if (message) lines.add(message);
    for (const [name, problems] of Object.entries(item.errors || {})) {
      const label = table[`field.${name}`];
      const text = [].concat(problems).flatMap((p) => (typeof p === "string" ? [p] : Object.values(p).flat())).join("；");
      if (text) lines.add(label ? `${label}：${text}` : text);
    }
  }
  return (
    <ul class="error reasons-list">
      {[...lines].map((line) => (
        <li key={line}>{line}</li>
      ))}
    </ul>
  );
}

function Rejected({ list, onChange }) {
  const first = list[0];
  const kind = first.op.split(".")[0];
  const main = list.find((item) => item.op === "incident.report" || item.op === "visit.log" || item.op === "patrol.start");
  const [payload, setPayload] = useState(main ? main.payload : null);
  const field = (name, cast = (v) => v) => (event) => setPayload({ ...payload, [name]: cast(event.target.value) });
  const grids = get().data.grids;

  const send = async () => {
    for (const item of list) await resend(item, item === main ? payload : item.payload);
    onChange();
    drain();
  };
  const discard = async () => {
    if (!confirm(t("confirmDiscard"))) return;
    for (const item of list) await remove(item);
    await refreshCounts();
    onChange();
  };
  const when = (main && (main.payload.started_at || main.payload.reported_at || main.payload.visited_at)) || first.created_at;
  return (
    <div class="card rejected" data-op={main ? main.op : first.op} data-kind={kind} data-ops={list.length}>
      <h3>
        {t(`kind.${kind}`)} {first.label || (main && main.label) || ""} <span class="muted">{formatTime(when)}</span>
      </h3>
      <Reasons list={list} />
      {main && main.op === "incident.report" && (
        <>
          <select class="field fix-category" value={payload.category} onChange={field("category")}>
            {categories().map((c) => (
              <option key={c.code} value={c.code}>
                {c.name}
              </option>
            ))}
          </select>
          <textarea class="field fix-description" rows="3" value={payload.description} onInput={field("description")} />
        </>
      )}
      {main && main.op === "visit.log" && (
        <textarea class="field fix-note" rows="3" value={payload.note} onInput={field("note")} />
      )}
      {main && main.op === "patrol.start" && grids.length > 0 && (
        <label>
          {t("grid")}
          <select class="field fix-grid" value={payload.grid_id} onChange={field("grid_id", Number)}>
            {grids.map((g) => (
              <option key={g.id} value={g.id}>
                {g.properties.name}
              </option>
            ))}
          </select>
        </label>
      )}
      <div class="row">
        <button class="primary resend" onClick={send}>
          {t("resend")}
        </button>
        <button class="secondary discard" onClick={discard}>
          {t("discard")}
        </button>
      </div>
    </div>
  );
}
