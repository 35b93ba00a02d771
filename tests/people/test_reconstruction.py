"""Reconstruction attempt: everything a caller receives without a reveal must not rebuild an ID number
or phone beyond its mask (issue: a masked ID plus birth_date gave the whole number back)."""

import io
import re
import uuid
import zipfile
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from patrol.areas.models import Area
from patrol.auth import service as auth
from patrol.extensions import db
from patrol.incidents import catalog
from patrol.people.idcard import CHECK_CHARS, WEIGHTS
from tests.conftest import DEMO_PASSWORD
from tests.people.helpers import GRID_1, id_number, person_body, point

# Birth dates far from any date the app writes (registration, visits, due dates), phones of both kinds.
PEOPLE = [("19851127", 7, "13912345678"), ("19920229", 8, "0571-87654321"), ("19481003", 9, "15800001234")]
ROLES = ("demo-worker", "demo-community", "demo-street", "demo-admin", "dept-people")
URLS = (
    "/api/v1/people",
    "/api/v1/people/{pid}",
    "/api/v1/people/{pid}/visits",
    "/api/v1/people?format=csv",
    "/api/v1/people?format=xlsx",
    "/api/v1/people/duplicates",
    "/api/v1/visits",
    "/api/v1/visits/{vid}",
    "/api/v1/visits/due?within_days=366",
    "/api/v1/sync/pull",
    "/api/v1/tasks/items?include_done=true",
    "/api/v1/tasks/{tid}",
    "/api/v1/review/overdue-people",
    "/api/v1/stats/visits?format=xlsx&group_by=worker",
    "/api/v1/exports/visits?format=csv",
    "/api/v1/exports/workbook.xlsx",
)
EXCEL_EPOCH = date(1899, 12, 30)


def _texts(response):
    data = response.get_data()
    if data[:2] == b"PK":  # XLSX: every part of the archive
        with zipfile.ZipFile(io.BytesIO(data)) as book:
            return " ".join(book.read(name).decode("utf-8", "ignore") for name in book.namelist())
    return data.decode("utf-8", "ignore")


def _read(response):
    """(path, status, text, JSON or None), read to the end and closed (exports are streamed)."""
    text = _texts(response)
    body = response.get_json() if response.is_json else None
    response.close()
    return response.request.path, response.status_code, text, body


def _records(value, found):
    """Every JSON object carrying a masked ID number, wherever it is nested."""
    if isinstance(value, dict):
        if isinstance(value.get("id_number"), str) and "*" in value["id_number"]:
            found.append(value)
        for item in value.values():
            _records(item, found)
    elif isinstance(value, list):
        for item in value:
            _records(item, found)
    return found


def _residue(digits, first_position):
    return sum(int(d) * WEIGHTS[first_position + i] for i, d in enumerate(digits)) % 11


def _candidates(mask, known):
    """How many ID numbers match the mask and every field known (birth year, gender), and which digits
    each hidden position may then hold. The check digit is linear, so dates and sequences combine by residue."""
    year = known.get("birth_year")
    dates = []
    for y in [year] if year is not None else range(1900, 2026):
        day = date(y, 1, 1)
        while day.year == y:
            dates.append(day.strftime("%Y%m%d"))
            day += timedelta(days=1)
    dates = [d for d in dates if all(m in ("*", b) for m, b in zip(mask[6:14], d, strict=True))]
    sequences = [f"{n:03d}" for n in range(1000) if "gender" not in known or ("M" if n % 2 else "F") == known["gender"]]
    target = (CHECK_CHARS.index(mask[17]) - _residue(mask[:6], 0)) % 11
    by_residue = {}
    for seq in sequences:
        by_residue.setdefault(_residue(seq, 14), []).append(seq)
    count, seen = 0, {position: set() for position in range(6, 17)}
    for born in dates:
        fitting = by_residue.get((target - _residue(born, 6)) % 11, [])
        count += len(fitting)
        for seq in fitting:
            for position, digit in enumerate(born + seq, start=6):
                seen[position].add(digit)
    return count, seen


def _setup(login):
    community, street = login("demo-community"), login("demo-street")
    street_area = db.session.execute(select(Area).where(Area.code == "330106010")).scalar_one()
    department = catalog.seed_departments(street_area)[0]
    auth.create_user("dept-people", DEMO_PASSWORD, "department", "民政办", "330106010", department_id=department.id)
    people, created = [], []
    for birth, seq, phone in PEOPLE:
        body = person_body(seq, id_number=id_number(birth, seq), phone=phone, where=GRID_1)
        response = community.post("/api/v1/people", json=body)
        assert response.status_code == 201, response.get_json()
        people.append({"id": response.get_json()["id"], "number": body["id_number"], "phone": phone, "birth": birth})
        created.append(response)
    created.append(community.patch(f"/api/v1/people/{people[0]['id']}", json={"notes": "复核"}))
    visit = {"id": str(uuid.uuid4()), "person_id": people[0]["id"], "visited_at": datetime.now(UTC).isoformat(),
             "location": point(GRID_1), "method": "入户", "condition": "正常"}  # fmt: skip
    created.append(login("demo-worker").post("/api/v1/visits", json=visit))
    grid_id = created[0].get_json()["grid_id"]
    task = street.post("/api/v1/tasks", json={"id": str(uuid.uuid4()), "type": "visit", "grid_ids": [grid_id],
                                              "person_ids": [p["id"] for p in people], "title": "走访",
                                              "due_date": (date.today() + timedelta(days=3)).isoformat()})  # fmt: skip
    assert task.status_code == 201, task.get_json()
    return people, created, visit["id"], task.get_json()["id"]


def _leaks(person, text):
    """Reasons the text gives away more of this person's numbers than the masks."""
    number, birth = person["number"], person["birth"]
    born = date(int(birth[:4]), int(birth[4:6]), int(birth[6:]))
    digits_only = re.sub(r"[^\d]", "", text)
    phone = re.sub(r"\D", "", person["phone"])
    probes = {
        "ID number": number,
        "birth digits": birth,
        "hidden ID digits": number[6:17],
        "birth date": born.isoformat(),
        "birth date (slashes)": born.strftime("%Y/%m/%d"),
        "birth date as a spreadsheet serial": f">{(born - EXCEL_EPOCH).days}<",
        "phone": person["phone"],
    }
    leaks = [name for name, probe in probes.items() if probe in text]
    if phone in digits_only or number[:17] in digits_only:
        leaks.append("digits run through separators")
    return leaks


@pytest.mark.parametrize("role", ROLES)
def test_nothing_rebuilds_an_id_number_or_phone_beyond_its_mask(demo, login, role):
    people, created, visit_id, task_id = _setup(login)
    api = login(role)
    seen = [_read(r) for r in created] if role == "demo-community" else []
    for template in URLS:
        for person in people if "{pid}" in template else people[:1]:
            seen.append(_read(api.get(template.format(pid=person["id"], vid=visit_id, tid=task_id))))
    assert all(status < 500 for _, status, _, _ in seen)
    ok = [(text, body) for _, status, text, body in seen if status == 200]
    texts = [text for text, _ in ok]
    for person in people:
        for text in texts:
            assert not _leaks(person, text), (role, _leaks(person, text))
    records = [record for _, body in ok for record in _records(body, [])]
    if role == "dept-people":
        assert records == []  # a department sees no people at all
        return
    assert len(records) >= 3 * 4, role  # lists, details, due list, sync pull all carried people
    masks = [m for t in texts for m in re.findall(r"\d{6}\*{11}[\dX]", t)]
    assert masks, role  # the exports carried them too
    for person in people:
        mine = [r for r in records if r["id_number"] == person["number"][:6] + "*" * 11 + person["number"][-1]]
        assert mine, (role, person["id"])
        known = {}
        for record in mine:
            assert "birth_date" not in record
            known.update({k: record[k] for k in ("birth_year", "gender") if record.get(k) is not None})
        count, digits = _candidates(mine[0]["id_number"], known)
        assert count >= 1000, (role, count)  # thousands of numbers fit everything returned
        assert all(len(seen) >= 2 for position, seen in digits.items() if position >= 10), role
        phone_masks = {r["phone"] for r in mine if r.get("phone")}
        for mask in phone_masks:
            assert sum(1 for c in mask if c.isdigit()) <= 7 and mask.count("*") >= 4, mask
