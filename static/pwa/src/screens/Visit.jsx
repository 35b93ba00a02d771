// Log a visit: person, method, condition, note, photo; abnormal opens a pre-filled incident in the same flow.
import { useState } from "preact/hooks";
import { uuid } from "../db.js";
import { t } from "../i18n.js";
import { enqueue } from "../outbox.js";
import { storePhoto } from "../photo.js";
import { dueDate, overdueDays, people as myPeople } from "../records.js";
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

  if (!person) return <PeopleList route={state.route} onChoose={setPerson} />;

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

function dueText(person) {
  const days = overdueDays(person);
  if (days === null) return "";
  if (days > 0) return t("overdueBy", { n: days });
  if (days === 0) return t("dueToday");
  return t("dueOn", { date: dueDate(person) });
}

/** Whom to visit: from a grid's "due" link only the people due there, overdue first; otherwise everyone. */
function PeopleList({ route, onChoose }) {
  const query = new URLSearchParams(route.split("?")[1] || "");
  const gridId = query.has("grid") ? Number(query.get("grid")) : undefined;
  const [showAll, setShowAll] = useState(!query.has("due"));
  const people = myPeople({ gridId, dueOnly: !showAll });
  const hidden = showAll ? 0 : myPeople({ gridId }).length - people.length;
  return (
    <section>
      <h2>{showAll ? t("visitWho") : t("visitDue", { n: people.length })}</h2>
      {!people.length && <p class="muted">{t("noPeopleDue")}</p>}
      <ul class="list people" id="people-due">
        {people.map((p) => {
          const days = overdueDays(p);
          return (
            <li key={p.id} class={days > 0 ? "overdue" : ""} data-overdue={days > 0 ? "yes" : "no"}>
              <button class="row-button" data-person={p.id} onClick={() => onChoose(p)}>
                <strong>{p.name}</strong>
                <span class="muted">{(p.categories || []).map((c) => c.label || c.category).join("、")}</span>
                <span class={days > 0 ? "warn" : "muted"}>{dueText(p)}</span>
              </button>
            </li>
          );
        })}
      </ul>
      {hidden > 0 && (
        <button class="row-button" id="show-all-people" onClick={() => setShowAll(true)}>
          {t("showAllPeople", { n: hidden })}
        </button>
      )}
    </section>
  );
}
