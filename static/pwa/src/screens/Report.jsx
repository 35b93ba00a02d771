// Report an incident: photo, category (recent first), GPS location adjustable by dragging, description.
import { useEffect, useState } from "preact/hooks";
import { uuid } from "../db.js";
import { t } from "../i18n.js";
import { LazyMap as MapView } from "../LazyMap.jsx";
import { enqueue } from "../outbox.js";
import { photoUrl, storePhoto } from "../photo.js";
import { categories as allCategories, categoryGroups, recentCategories, usedCategory } from "../records.js";
import { get, go, useStore } from "../store.js";
import { sendAndTell } from "../sync.js";
import { currentPosition } from "../tracking.js";

export function ReportScreen() {
  return <IncidentForm onDone={() => go("/")} />;
}

export function IncidentForm({ prefill = {}, onDone }) {
  const state = useStore();
  const [recent, setRecent] = useState([]);
  const [group, setGroup] = useState(null);
  const [categoryCode, setCategoryCode] = useState(prefill.category ?? null);
  const [photo, setPhoto] = useState(null);
  const [preview, setPreview] = useState(null);
  const [point, setPoint] = useState(prefill.point || null);
  const [description, setDescription] = useState(prefill.description || "");
  const [handled, setHandled] = useState(false);
  const [note, setNote] = useState("");
  const [problem, setProblem] = useState(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    recentCategories().then(setRecent);
    if (!point) {
      const fix = get().lastFix;
      if (fix && Date.now() - fix.t < 60000) setPoint([fix.lon, fix.lat]);
      else currentPosition().then((p) => setPoint((old) => old || [p.lon, p.lat]), () => {});
    }
  }, []);

  const choosePhoto = async (event) => {
    const file = event.target.files && event.target.files[0];
    if (!file) return;
    const stored = await storePhoto(file, state.session.user.id);
    setPhoto(stored);
    setPreview(await photoUrl(stored.id));
  };

  const save = async () => {
    if (!categoryCode) return setProblem(t("needCategory"));
    if (!point) return setProblem(t("needLocation"));
    if (!photo && !description.trim()) return setProblem(t("needPhotoOrText"));
    if (handled && !note.trim() && !description.trim()) return setProblem(t("needHandlingNote"));
    setBusy(true);
    const patrol = get().patrol;
    const payload = {
      id: uuid(),
      category: categoryCode,
      location: { type: "Point", coordinates: point },
      description: description.trim(),
      handled_on_spot: handled,
      note: handled ? note.trim() || description.trim() : null,
      source: prefill.source || "patrol",
      reported_at: new Date().toISOString(),
      photo_ids: [],
    };
    if (patrol) payload.patrol_id = patrol.id;
    if (prefill.visit_id) payload.visit_id = prefill.visit_id;
    const category = allCategories().find((c) => c.code === categoryCode);
    const item = await enqueue("incident.report", payload, {
      photos: photo ? [photo.id] : [],
      label: `${category ? category.name : ""} ${description.trim()}`.trim(),
    });
    await usedCategory(categoryCode);
    sendAndTell(item);
    onDone();
  };

  return (
    <section class="form" id="incident-form">
      <label class="photo-button">
        {preview ? <img src={preview} alt="" class="preview" /> : <span>{t("takePhoto")}</span>}
        <input id="incident-photo" type="file" accept="image/*" capture="environment" onChange={choosePhoto} />
      </label>
      <h3>{t("category")}</h3>
      <CategoryPicker recent={recent} group={group} setGroup={setGroup} value={categoryCode} onChoose={setCategoryCode} />
      <textarea
        id="incident-description"
        placeholder={t("descriptionHint")}
        rows="2"
        maxLength="500"
        value={description}
        onInput={(e) => setDescription(e.target.value)}
      />
      <label class="toggle">
        <input id="handled-on-spot" type="checkbox" checked={handled} onChange={(e) => setHandled(e.target.checked)} />
        {t("handledOnSpot")}
      </label>
      {handled && (
        <textarea
          id="handling-note"
          placeholder={t("handlingNote")}
          rows="2"
          maxLength="500"
          value={note}
          onInput={(e) => setNote(e.target.value)}
        />
      )}
      <h3>{t("location")}</h3>
      <p class="hint">{point ? t("locationHint") : t("locating")}</p>
      <MapView grids={state.data.grids} basemap={state.data.basemap} pin={point} onPin={setPoint} height={200} />
      {problem && <p class="error">{problem}</p>}
      <button class="primary" id="save-incident" onClick={save} disabled={busy}>
        {t("save")}
      </button>
    </section>
  );
}

/**
 * Two levels without a long list: the categories used lately are one tap; any other is two (its group,
 * then itself). The chosen one is named with its group.
 */
function CategoryPicker({ recent, group, setGroup, value, onChoose }) {
  const groups = categoryGroups();
  if (!groups.length) return <p class="notice">{t("noCategories")}</p>;
  const open = groups.find((g) => g.code === group);
  const chosen = value && allCategories().find((c) => c.code === value);
  const parent = chosen && groups.find((g) => g.id === chosen.parent_id);
  const quick = chosen && !recent.some((c) => c.code === chosen.code) ? [chosen, ...recent] : recent;
  const chip = (category) => (
    <button
      type="button"
      key={category.code}
      class={category.code === value ? "chip-button selected" : "chip-button"}
      data-category={category.code}
      onClick={() => {
        onChoose(category.code);
        setGroup(null);
      }}
    >
      {category.name}
    </button>
  );
  return (
    <div id="category-picker">
      {quick.length > 0 && !open && (
        <div class="chips" id="categories">
          {quick.map(chip)}
        </div>
      )}
      <div class="chips groups" id="category-groups">
        {groups.map((g) => (
          <button
            type="button"
            key={g.code}
            data-group={g.code}
            class={g.code === group ? "chip-button group open" : "chip-button group"}
            onClick={() => setGroup(g.code === group ? null : g.code)}
          >
            {g.name} ▾
          </button>
        ))}
      </div>
      {open && (
        <div class="chips leaves" id="categories">
          {open.leaves.map(chip)}
        </div>
      )}
      {chosen && (
        <p class="hint" id="chosen-category">
          {t("chosenCategory", { name: parent ? `${parent.name} · ${chosen.name}` : chosen.name })}
        </p>
      )}
    </div>
  );
}
