"""Demo incidents: ~0.4 per grid per day with a realistic spread of categories, outcomes and delays."""

import io
import random
import uuid
from datetime import timedelta

from PIL import Image, ImageDraw
from shapely.geometry import Point
from sqlalchemy import insert, select

from patrol.areas.models import Area
from patrol.auth import service as auth
from patrol.auth.models import User
from patrol.extensions import db
from patrol.geo import from_db, to_db
from patrol.incidents import catalog
from patrol.incidents.deadlines import due_time
from patrol.incidents.models import Category, Incident, IncidentEvent
from patrol.localtime import local_midnight, utcnow
from patrol.photos import service as photos

NAMESPACE = uuid.UUID("5b0c7a52-3a7e-4c53-9d0e-1d2f1b6c4e10")
RATE = 0.4
# Leaf category code -> relative frequency in a residential street (environment and occupation dominate).
WEIGHTS = {"04": 30, "06": 22, "05": 14, "02": 12, "01": 6, "03": 6, "07": 4, "08": 2, "09": 2, "99": 2}
DEPARTMENT_USERS = [("demo-chengguan", "chengguan", "城管中队值班员"), ("demo-huanwei", "huanwei", "环卫所调度员")]
DESCRIPTIONS = {
    "04": ["垃圾桶满溢未清运", "楼道口堆放生活垃圾", "绿化带内乱倒建筑垃圾"],
    "06": ["沿街店铺占道经营", "楼顶疑似违建阳光房", "小区通道乱堆杂物"],
    "05": ["人行道地砖破损", "路灯夜间不亮", "雨水井盖松动"],
    "02": ["消防通道被车辆堵塞", "楼道内电动车充电", "灭火器过期"],
    "01": ["小区门禁损坏", "可疑人员多次徘徊"],
    "03": ["邻里噪音纠纷", "物业费纠纷"],
    "07": ["工地未设围挡", "小作坊安全隐患"],
    "08": ["无证小吃摊"],
    "09": ["独居老人多日未出门"],
    "99": ["其他需协调事项"],
}


def _demo_id(n):
    return uuid.uuid5(NAMESPACE, f"demo-incident-{n}")


def _user(username):
    return db.session.execute(select(User).where(User.username == username)).scalar_one_or_none()


def _department_users(context, departments):
    users = {}
    for username, code, name in DEPARTMENT_USERS:
        user = _user(username) or auth.create_user(
            username, context.password, "department", name, "330106010", department_id=departments[code].id
        )
        users[departments[code].id] = user
    return users


def _random_point(rng, polygon):
    minx, miny, maxx, maxy = polygon.bounds
    while True:
        point = Point(rng.uniform(minx, maxx), rng.uniform(miny, maxy))
        if polygon.contains(point):
            return point


def _demo_photo(rng, n):
    image = Image.new("RGB", (320, 240), (rng.randint(90, 200), rng.randint(90, 200), rng.randint(90, 200)))
    draw = ImageDraw.Draw(image)
    for _ in range(6):
        x, y = rng.randint(0, 280), rng.randint(0, 200)
        draw.rectangle((x, y, x + rng.randint(20, 120), y + rng.randint(20, 80)), fill=(rng.randint(0, 255),) * 3)
    draw.text((12, 12), f"GridPatrol demo #{n}", fill=(255, 255, 255))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


class _Case:
    """Builds one incident's row and its events along a plausible timeline, stopping at 'now'."""

    def __init__(self, incident_id, reported_at, now):
        self.id, self.now, self.events, self.row = incident_id, now, [], {}
        self.at = reported_at
        self.holds_at = None  # a recent case may still wait before reaching this status

    def step(self, action, after_hours, from_status, to_status, actor_id, **extra):
        moment = self.at + timedelta(hours=after_hours)
        if moment > self.now or to_status == self.holds_at:
            return False
        self.at = moment
        self.events.append(
            {
                "incident_id": self.id,
                "action": action,
                "from_status": from_status,
                "to_status": to_status,
                "actor_id": actor_id,
                "at": moment,
                "photo_ids": [],
                "detail": extra.pop("detail", {}),
                **extra,
            }
        )
        return True


def _lifecycle(rng, case, category, department, reviewer, handler_id):
    """Walk a case as far as time allows; return the incident columns that follow from the events."""
    cols = {"status": "reported"}
    if rng.random() < 0.05:
        if case.step("reject", rng.uniform(0.5, 3), "reported", "rejected", reviewer.id, note="不属于网格事项"):
            cols.update(status="rejected", closed_at=case.at)
        return cols
    if not case.step("accept", rng.uniform(0.3, 3), "reported", "accepted", reviewer.id):
        return cols
    cols.update(status="accepted", accepted_at=case.at)
    late_dispatch = rng.random() < 0.1
    if not case.step(
        "dispatch",
        rng.uniform(25, 40) if late_dispatch else rng.uniform(0.2, 5),
        "accepted",
        "dispatched",
        reviewer.id,
        department_id=department.id,
    ):
        return cols
    due = due_time(case.at, category.deadline_value, category.deadline_unit)
    cols.update(
        status="dispatched", department_id=department.id, dispatched_at=case.at, first_dispatched_at=case.at, due_at=due
    )
    _handle(rng, case, cols, (due - case.at).total_seconds() / 3600, department, reviewer, handler_id)
    return cols


def _handle(rng, case, cols, allowed, department, reviewer, handler_id):
    """From dispatch to close: start, resolve (sometimes sent back once), close, as far as time allows."""
    # Most cases close well inside the deadline; about one in eight runs late; one in eight is sent back once.
    late = rng.random() < (0.5 if case.holds_at else 0.12)  # a stuck case is the one that runs late
    finish = allowed * (rng.uniform(1.1, 1.8) if late else rng.uniform(0.35, 0.9))
    handler = {"actor_id": handler_id, "department_id": department.id}
    plan = [("start", 0.1, "dispatched", "in_progress", handler, {"status": "in_progress"})]
    if rng.random() < 0.12:
        plan += [
            ("resolve", 0.35, "in_progress", "resolved", {**handler, "note": "已处置"}, {"status": "resolved"}),
            (
                "send_back",
                0.45,
                "resolved",
                "dispatched",
                {"actor_id": reviewer.id, "department_id": department.id, "note": "现场核查未整改到位"},
                {"status": "dispatched", "rework_count": 1},
            ),
            ("resolve", 0.75, "dispatched", "resolved", {**handler, "note": "返工完成"}, {"status": "resolved"}),
        ]
    else:
        plan.append(("resolve", 0.7, "in_progress", "resolved", {**handler, "note": "已处置"}, {"status": "resolved"}))
    plan.append(("close", 1.0, "resolved", "closed", {"actor_id": reviewer.id}, {"status": "closed"}))
    done = 0.0
    for action, fraction, from_status, to_status, who, changes in plan:
        who = dict(who)
        actor_id = who.pop("actor_id")
        if not case.step(action, finish * (fraction - done), from_status, to_status, actor_id, **who):
            break
        done = fraction
        cols.update(changes)
        if action == "resolve":
            cols["resolved_at"] = case.at
        elif action == "send_back":
            cols.update(resolved_at=None, dispatched_at=case.at)
        elif action == "close":
            cols["closed_at"] = case.at


def _leaf_categories():
    leaves = db.session.execute(select(Category).where(Category.parent_id.isnot(None))).scalars().all()
    return [(c, WEIGHTS.get(c.code[:2], 1)) for c in leaves]


def seed(context):
    """Create the demo incidents once (a second run finds the first id and stops)."""
    catalog.seed_categories()
    street = db.session.execute(select(Area).where(Area.code == "330106010")).scalar_one()
    departments = {d.code: d for d in catalog.seed_departments(street)}
    handlers = _department_users(context, departments)
    if db.session.get(Incident, _demo_id(0)) is not None:
        return
    rng = random.Random(20261123)
    reviewer = _user("demo-street")
    leaves = _leaf_categories()
    categories, weights = [c for c, _ in leaves], [w for _, w in leaves]
    by_code = {d.code: d for d in departments.values()}
    now, rows, events, n = utcnow(), [], [], 0
    for worker, grid in context.workers:
        polygon = from_db(grid.geom).geoms[0]
        for day in context.days:
            for _ in range(sum(rng.random() < RATE / 2 for _ in range(2))):
                reported_at = local_midnight(day) + timedelta(hours=rng.uniform(8, 18))
                if reported_at > now:
                    continue
                category = rng.choices(categories, weights)[0]
                incident_id = _demo_id(n)
                n += 1
                row, case_events = _one(
                    rng, incident_id, worker, grid, polygon, category, reported_at, now, by_code, reviewer, handlers
                )
                rows.append(row)
                events.extend(case_events)
    # Core executemany (one compiled statement, pipelined); the ORM bulk path costs seconds here.
    db.session.execute(insert(Incident.__table__), rows)
    db.session.execute(insert(IncidentEvent.__table__), events)
    _attach_demo_photos(rng, context, rows)
    db.session.commit()


def _one(rng, incident_id, worker, grid, polygon, category, reported_at, now, departments, reviewer, handlers):
    department = departments.get(category.department_code) or departments["zongzhi"]
    on_spot = rng.random() < 0.12 and category.code[:2] in ("04", "06", "05")
    case = _Case(incident_id, reported_at, now)
    if reported_at > now - timedelta(days=5) and rng.random() < 0.6:
        case.holds_at = rng.choices(["accepted", "dispatched", "in_progress", "resolved", "closed"], [2, 2, 2, 2, 3])[0]
    case.events.append(
        {
            "incident_id": incident_id,
            "action": "report",
            "from_status": None,
            "to_status": "closed" if on_spot else "reported",
            "actor_id": worker.id,
            "at": reported_at,
            "photo_ids": [],
            "detail": {"handled_on_spot": on_spot},
            "note": "当场处理" if on_spot else None,
        }
    )
    if on_spot:
        cols = {"status": "closed", "closed_at": reported_at}
    else:
        cols = _lifecycle(rng, case, category, department, reviewer, getattr(handlers.get(department.id), "id", None))
    source = rng.choices(["patrol", "resident", "assigned"], [80, 15, 5])[0]
    row = {
        "id": incident_id,
        "reporter_id": worker.id,
        "grid_id": grid.id,
        "grid_code": grid.code,
        "district_code": grid.district_code,
        "location": to_db(_random_point(rng, polygon)),
        "category_id": category.id,
        "description": rng.choice(DESCRIPTIONS.get(category.code[:2], ["待处理事项"])),
        "source": source,
        "patrol_id": None,
        "visit_id": None,
        "handled_on_spot": on_spot,
        "note": "当场处理" if on_spot else None,
        "reported_at": reported_at,
        "accepted_at": None,
        "first_dispatched_at": None,
        "dispatched_at": None,
        "due_at": None,
        "resolved_at": None,
        "closed_at": None,
        "department_id": None,
        "rework_count": 0,
        "reopen_count": 0,
        "merged_into": None,
        "version": len(case.events),
        "updated_at": case.events[-1]["at"],
        **cols,
    }
    for event in case.events:
        event.setdefault("note", None)
        event.setdefault("department_id", None)
    return row, case.events


def _attach_demo_photos(rng, context, rows):
    workers = {worker.id: (worker, grid) for worker, grid in context.workers}
    for n, row in enumerate(rows[:: max(1, len(rows) // 6)][:6]):
        worker, grid = workers[row["reporter_id"]]
        photo = photos.store_photo_bytes(worker, _demo_photo(rng, n))
        photos.attach_photos(worker, [photo["id"]], "incident", row["id"], grid.id)
