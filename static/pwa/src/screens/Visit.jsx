// Log a visit: person, method, condition, note, photo; abnormal opens a pre-filled incident in the same flow.
import { useState } from "preact/hooks";
import { uuid } from "../db.js";
import { t } from "../i18n.js";
import { enqueue } from "../outbox.js";
import { storePhoto } from "../photo.js";
import { dueDate, people as myPeople } from "../records.js";
import { get, go, toast, useStore } from "../store.js";
import { drain, sendAndTell } from "../sync.js";
import { IncidentForm } from "./Report.jsx";

const METHODS = ["入户", "电话", "视频", "其他"];
const CONDITIONS = ["正常", "需关注", "异常"];

export function VisitScreen() {
  const state = useStore();
  const [person, setPerson] = useState(null);
  const [method, setMethod] = useState("入户");
  const [condition, setCondition] = useState("正常");
  const [note, setNote] = useState("");
  const [photo, setPhoto] = useState(null);
  const [followUp, setFollowUp] = useState(null);

  if (followUp) return <IncidentForm prefill={followUp} onDone={() => go("/")} />;
  const people = myPeople();

  if (!person) {
    return (
      <section>
        <h2>{t("visitWho")}</h2>
        {!people.length && <p class="muted">{t("noPeopleDue")}</p>}
        <ul class="list people" id="people-due">
          {people.map((p) => (
            <li key={p.id}>
              <button class="row-button" data-person={p.id} onClick={() => setPerson(p)}>
                <strong>{p.name}</strong>
                <span class="muted">
                  {(p.categories || []).map((c) => c.label || c.category).join("、")}{" "}
                  {dueDate(p) ? t("dueOn", { date: dueDate(p) }) : ""}
                </span>
              </button>
            </li>
          ))}
        </ul>
      </section>
    );
  }

  const save = async () => {
    const visitId = uuid();
    const patrol = get().patrol;
    const fix = get().lastFix;
    const payload = {
      id: visitId,
      person_id: person.id,
      visited_at: new Date().toISOString(),
      method,
      condition,
      note: note.trim(),
      photo_ids: [],
    };
    if (patrol) payload.patrol_id = patrol.id;
    if (fix && Date.now() - fix.t < 120000) payload.location = { type: "Point", coordinates: [fix.lon, fix.lat] };
    const item = await enqueue("visit.log", payload, { photos: photo ? [photo.id] : [], label: person.name || "" });
    if (condition === "异常") {
      drain();
      setFollowUp({
        source: "visit",
        visit_id: visitId,
        description: `${person.name || ""} ${note.trim()}`.trim(),
        point: person.location ? person.location.coordinates : fix ? [fix.lon, fix.lat] : null,
      });
      toast(t("abnormalNext"));
      return;
    }
    sendAndTell(item);
    go("/");
  };

  const choose = (list, value, setter, prefix, id) => (
    <div class="chips" id={id}>
      {list.map((item) => (
        <button
          type="button"
          key={item}
          data-value={item}
          class={item === value ? "chip-button selected" : "chip-button"}
          onClick={() => setter(item)}
        >
          {t(`${prefix}.${item}`)}
        </button>
      ))}
    </div>
  );

  return (
    <section class="form" id="visit-form">
      <h2>{person.name}</h2>
      <h3>{t("method")}</h3>
      {choose(METHODS, method, setMethod, "method", "visit-method")}
      <h3>{t("condition")}</h3>
      {choose(CONDITIONS, condition, setCondition, "condition", "visit-condition")}
      <textarea id="visit-note" rows="2" maxLength="500" placeholder={t("note")} value={note} onInput={(e) => setNote(e.target.value)} />
      <label class="photo-button small">
        <span>{photo ? "✓" : t("takePhoto")}</span>
        <input
          id="visit-photo"
          type="file"
          accept="image/*"
          capture="environment"
          onChange={async (e) => e.target.files[0] && setPhoto(await storePhoto(e.target.files[0], state.session.user.id))}
        />
      </label>
      <button class="primary" id="save-visit" onClick={save}>
        {t("save")}
      </button>
    </section>
  );
}
