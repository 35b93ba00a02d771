"""Two scopes with one record of every kind: A in the demo street, B in a second street east of it.

Every text field of scope B carries the marker LEAKB, so any response can be searched for it.
"""

import io
import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from PIL import Image
from shapely.geometry import box, mapping
from sqlalchemy import select

from patrol.areas.models import Area, GridAssignment
from patrol.auth import service as auth
from patrol.extensions import db
from patrol.incidents import catalog
from patrol.localtime import local_midnight, today
from tests.conftest import DEMO_PASSWORD

MARKER_B = "LEAKB"
STREET_B = "330106020"
COMMUNITY_B = "330106020001"
GRID_B = "330106020001001"
GRID_A = "330106010001001"
BOX_B = (120.160, 30.280, 120.166, 30.286)
POINT_A = (120.1215, 30.2829)  # inside 330106010001001
POINT_B = (120.1630, 30.2830)  # inside 330106020001001
POINT_A_OTHER_COMMUNITY = (120.1275, 30.2829)  # inside 330106010002001

ROLE_USERS = {
    "worker": "demo-worker",
    "community_admin": "demo-community",
    "street_reviewer": "demo-street",
    "department": "dept-a",
    "admin": "demo-admin",
}


@dataclass
class Scope:
    """The ids of one scope's records, by kind."""

    name: str
    ids: dict = field(default_factory=dict)

    def __getitem__(self, key):
        return self.ids[key]


def _collection(code, polygon, name, **props):
    feature = {"type": "Feature", "properties": {"code": code, "name": name, **props}, "geometry": mapping(polygon)}
    return {"type": "FeatureCollection", "features": [json.loads(json.dumps(feature))]}


def _import_street_b(admin):
    polygon = box(*BOX_B)
    for level, parent, code, extra in (
        ("street", None, STREET_B, {}),
        ("community", STREET_B, COMMUNITY_B, {}),
        ("grid", COMMUNITY_B, GRID_B, {"households": 321}),
    ):
        url = f"/api/v1/areas/import?level={level}" + (f"&parent={parent}" if parent else "")
        response = admin.post(url, json=_collection(code, polygon, f"乙街道{MARKER_B}{level}", **extra))
        assert response.status_code == 201, response.get_json()


def _area(code):
    return db.session.execute(select(Area).where(Area.code == code)).scalar_one()


def jpeg(color):
    out = io.BytesIO()
    Image.new("RGB", (40, 30), color).save(out, "JPEG")
    return out.getvalue()


def upload_photo(api, data, name="photo.jpg"):
    """POST /photos with a hand-built multipart body (see tests/incidents/helpers.upload)."""
    boundary = "gridpatrol-hardening-boundary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return api.post("/api/v1/photos", data=body, content_type=f"multipart/form-data; boundary={boundary}")


def _ok(response, *statuses):
    assert response.status_code in (statuses or (200, 201)), (response.status_code, response.get_json())
    return response.get_json()


def _point(lon_lat):
    return {"type": "Point", "coordinates": list(lon_lat)}


def _patrol(worker, grid_id, lon_lat, tag):
    patrol_id = str(uuid.uuid4())
    start = max(datetime.now(UTC) - timedelta(minutes=20), local_midnight(today()) + timedelta(seconds=1))
    _ok(worker.post("/api/v1/patrols", json={"id": patrol_id, "grid_id": grid_id, "started_at": start.isoformat()}))
    t0 = int(start.timestamp() * 1000)
    rows = [[t0 + n * 10_000, lon_lat[0] + n * 0.00002, lon_lat[1] + n * 0.00001, 5.0, 1.1, None] for n in range(60)]
    _ok(worker.post(f"/api/v1/patrols/{patrol_id}/points", json={"points": rows}))
    ended = datetime.fromtimestamp(rows[-1][0] / 1000, UTC)
    _ok(worker.post(f"/api/v1/patrols/{patrol_id}/finish", json={"ended_at": ended.isoformat()}))
    return patrol_id


def _records(scope, worker, staff, community, department, grid_id, lon_lat, marker, color, seq, peer_id):
    """One record of every kind in one scope, through the HTTP API."""
    ids = scope.ids
    ids["grid"] = grid_id
    ids["patrol"] = _patrol(worker, grid_id, lon_lat, marker)
    ids["photo"] = _ok(upload_photo(worker, jpeg(color)))["id"]
    incident = _ok(
        worker.post(
            "/api/v1/incidents",
            json={
                "id": str(uuid.uuid4()),
                "location": _point(lon_lat),
                "category": "0602",
                "description": f"占道经营{marker} / blocking the pavement",
                "photo_ids": [ids["photo"]],
            },
        )
    )
    ids["incident"] = incident["id"]
    for action in ({"action": "accept"}, {"action": "dispatch", "department_id": department_id_of(department)}):
        _ok(staff.post(f"/api/v1/incidents/{incident['id']}/actions", json=action))
    from tests.people.helpers import id_number

    person = _ok(
        community.post(
            "/api/v1/people",
            json={
                "name": f"测试{marker}人员",
                "id_number": id_number(seq=seq),
                "phone": f"1380000{seq:04d}",
                "address": f"文溪路{marker}号",
                "location": _point(lon_lat),
                "categories": [{"category": "elderly_alone", "extra": {"living": "独居"}}],
            },
        )
    )
    ids["person"] = person["id"]
    visit = _ok(
        worker.post(
            "/api/v1/visits",
            json={
                "id": str(uuid.uuid4()),
                "person_id": person["id"],
                "visited_at": datetime.now(UTC).isoformat(),
                "method": "入户",
                "condition": "正常",
                "note": f"情况良好{marker}",
            },
        )
    )
    ids["visit"] = visit["id"]
    _ok(staff.put("/api/v1/tasks/duty-list/fire_check", json={"name": f"消防检查{marker}", "minutes": 30}))
    place = _ok(
        staff.post(
            "/api/v1/tasks/key-places",
            json={"name": f"小学{marker}", "category": "school", "geometry": _point(lon_lat)},
        )
    )
    ids["key_place"] = place["id"]
    task = _ok(
        department.post(
            "/api/v1/tasks",
            json={
                "id": str(uuid.uuid4()),
                "type": "fire_check",
                "grid_ids": [grid_id],
                "due_date": (today() + timedelta(days=4)).isoformat(),
                "instruction": f"检查灭火器{marker}",
            },
        )
    )
    ids["task"] = task["id"]
    items = _ok(worker.get("/api/v1/tasks/items"))
    ids["task_item"] = next(i["id"] for i in items if i["task_id"] == task["id"])
    ids["assignment"] = db.session.execute(
        select(GridAssignment.id).where(GridAssignment.grid_id == grid_id)
    ).scalar_one()
    ids["worker_user"] = _ok(worker.get("/api/v1/auth/me"))["id"]
    ids["peer_user"] = peer_id
    ids["department"] = department_id_of(department)
    return scope


def _duplicate(community, lon_lat, marker):
    """Register scope A's person's ID number again in another area; -> the recorded duplicate's id."""
    from patrol.people.models import PersonDuplicate
    from tests.people.helpers import id_number

    body = {
        "name": f"重复{marker}人员",
        "id_number": id_number(seq=1),
        "location": _point(lon_lat),
        "categories": [{"category": "elderly_alone", "extra": {"living": "独居"}}],
    }
    person = _ok(community.post("/api/v1/people", json=body))
    query = select(PersonDuplicate.id).where(PersonDuplicate.person_id == person["id"]).order_by(PersonDuplicate.id)
    return db.session.execute(query.limit(1)).scalar_one()


def _user_id(username):
    from patrol.auth.models import User

    return db.session.execute(select(User.id).where(User.username == username)).scalar_one()


def department_id_of(api):
    return api.get("/api/v1/auth/me").get_json().get("department_id")


def build_world(login):
    """Scopes A and B with users and records; returns (users by role, A, B, B users)."""
    admin = login("demo-admin")
    catalog.seed_categories()
    _import_street_b(admin)
    street_a, street_b = _area("330106010"), _area(STREET_B)
    dept_a = next(d for d in catalog.seed_departments(street_a) if d.code == "chengguan")
    dept_b = next(d for d in catalog.seed_departments(street_b) if d.code == "chengguan")
    auth.create_user("dept-a", DEMO_PASSWORD, "department", "城管中队", "330106010", department_id=dept_a.id)
    auth.create_user("dept-b", DEMO_PASSWORD, "department", f"城管{MARKER_B}", STREET_B, department_id=dept_b.id)
    auth.create_user("far-street", DEMO_PASSWORD, "street_reviewer", f"乙街道{MARKER_B}", STREET_B)
    auth.create_user("far-community", DEMO_PASSWORD, "community_admin", f"乙社区{MARKER_B}", COMMUNITY_B)
    far_worker = auth.create_user("far-worker", DEMO_PASSWORD, "worker", f"乙网格员{MARKER_B}", COMMUNITY_B)
    grid_b = _area(GRID_B)
    db.session.add(GridAssignment(user_id=far_worker.id, grid_id=grid_b.id, start_date=today() - timedelta(days=30)))
    db.session.commit()
    users = {role: login(name) for role, name in ROLE_USERS.items()}
    far = {
        "worker": login("far-worker"),
        "street_reviewer": login("far-street"),
        "community_admin": login("far-community"),
        "department": login("dept-b"),
    }
    a = _records(
        Scope("A"),
        users["worker"],
        users["street_reviewer"],
        users["community_admin"],
        users["department"],
        _area(GRID_A).id,
        POINT_A,
        "甲",
        (200, 30, 30),
        1,
        _user_id("demo-worker2"),
    )
    b = _records(
        Scope("B"),
        far["worker"],
        far["street_reviewer"],
        far["community_admin"],
        far["department"],
        grid_b.id,
        POINT_B,
        MARKER_B,
        (30, 30, 200),
        2,
        far_worker.id,
    )
    auth.create_user("near-community", DEMO_PASSWORD, "community_admin", "竹苑社区工作站", "330106010002")
    a.ids["duplicate"] = _duplicate(login("near-community"), POINT_A_OTHER_COMMUNITY, "甲")  # both in street A
    b.ids["duplicate"] = _duplicate(far["community_admin"], POINT_B, MARKER_B)  # across streets: the admin's
    a.ids["area"], b.ids["area"] = street_a.id, street_b.id
    a.ids["community"], b.ids["community"] = _area("330106010001").id, _area(COMMUNITY_B).id
    return users, a, b, far
