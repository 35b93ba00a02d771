// Records the server refused, with its message; fixed here and resent, never dropped silently.
import { useEffect, useState } from "preact/hooks";
import { serverMessage, t } from "../i18n.js";
import { items, refreshCounts, remove, resend } from "../outbox.js";
import { categories } from "../records.js";
import { useStore } from "../store.js";
import { drain } from "../sync.js";

export function AttentionScreen() {
  const state = useStore();
  const [list, setList] = useState([]);
  const reload = () =>
    items(state.session.user.id).then((all) => setList(all.filter((item) => item.status === "rejected")));
  useEffect(() => {
    reload();
  }, [state.pending, state.attention]);
  return (
    <section>
      <h2>{t("attentionTitle")}</h2>
      {list.length ? <p class="hint">{t("attentionHelp")}</p> : <p class="muted">{t("attentionEmpty")}</p>}
      {list.map((item) => (
        <Rejected key={item.seq} item={item} onChange={reload} />
      ))}
    </section>
  );
}

function Rejected({ item, onChange }) {
  const [payload, setPayload] = useState(item.payload);
  const [json, setJson] = useState(JSON.stringify(item.payload, null, 1));
  const [problem, setProblem] = useState(null);
  const friendly = item.op === "incident.report" || item.op === "visit.log";
  const field = (name) => (event) => setPayload({ ...payload, [name]: event.target.value });

  const send = async () => {
    let next = payload;
    if (!friendly) {
      try {
        next = JSON.parse(json);
      } catch {
        return setProblem(t("badJson"));
      }
    }
    await resend(item, next);
    onChange();
    drain();
  };
  const discard = async () => {
    if (!confirm(t("confirmDiscard"))) return;
    await remove(item);
    await refreshCounts();
    onChange();
  };
  return (
    <div class="card rejected" data-op={item.op} data-op-id={item.op_id}>
      <h3>
        {t(`op.${item.op}`)} {item.label}
      </h3>
      <p class="error">{serverMessage(item)}</p>
      {item.errors && Object.keys(item.errors).length > 0 && <pre class="errors">{JSON.stringify(item.errors)}</pre>}
      {item.op === "incident.report" && (
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
      {item.op === "visit.log" && (
        <textarea class="field fix-note" rows="3" value={payload.note} onInput={field("note")} />
      )}
      {!friendly && (
        <label>
          {t("payload")}
          <textarea class="field" rows="5" value={json} onInput={(e) => setJson(e.target.value)} />
        </label>
      )}
      {problem && <p class="error">{problem}</p>}
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
