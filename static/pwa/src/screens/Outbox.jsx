// What waits on this phone to be sent: one line per record (a patrol with its fixes is one record).
import { useEffect, useState } from "preact/hooks";
import { formatTime, t } from "../i18n.js";
import { pendingRecords } from "../outbox.js";
import { useStore } from "../store.js";
import { syncNow } from "../sync.js";

export function OutboxScreen() {
  const state = useStore();
  const [list, setList] = useState([]);
  useEffect(() => {
    pendingRecords(state.session.user.id).then(setList);
  }, [state.pending, state.syncing]);
  return (
    <section>
      <h2>{t("outboxTitle")}</h2>
      {!list.length && <p class="muted">{t("outboxEmpty")}</p>}
      <ul class="list" id="outbox-list">
        {list.map((record) => (
          <li key={record.key} data-kind={record.op}>
            <strong>{t(`kind.${record.op}`)}</strong> {record.label}{" "}
            <span class="muted">{formatTime(record.at)}</span> <span class="chip notYet">{t("outboxLocal")}</span>
          </li>
        ))}
      </ul>
      <p class="hint">{state.online ? t("outboxOnlineHint") : t("outboxOfflineHint")}</p>
      <button class="action" id="outbox-sync" disabled={state.syncing} onClick={syncNow}>
        {state.syncing ? t("syncing") : t("syncNow")}
      </button>
    </section>
  );
}
