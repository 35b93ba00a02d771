"""Demo data: a duty list, key places in every grid, pushed tasks (one refused, one over budget), joint patrols."""

import uuid
from datetime import timedelta

from shapely.geometry import Point
from sqlalchemy import select, text, update

from patrol.areas.models import Area
from patrol.auth import service as auth
from patrol.auth.models import User
from patrol.extensions import db
from patrol.geo import from_db
from patrol.incidents import published as incidents
from patrol.localtime import local_midnight, today
from patrol.patrols.published import PATROL_DAYS
from patrol.tasks import admission, duty, keyplaces
from patrol.tasks.models import KeyPlace, Task, WorkerBudget

NAMESPACE = uuid.UUID("6f1f3c55-2b7e-4d0c-9a51-7a3c2e0d7a10")
PLACES = [
    ((-0.25, 0.2), "小学", "school"),
    ((0.2, -0.15), "农贸市场", "market"),
    ((0.1, 0.3), "出租房集中点", "rental"),
]


def _user(username):
    return db.session.execute(select(User).where(User.username == username)).scalar()


def _department_user(context, street):
    incidents.seed_departments(street)
    department_id = db.session.execute(
        text("SELECT id FROM incident_department WHERE street_id = :s AND code = 'xiaofang'"), {"s": street.id}
    ).scalar()
    return _user("demo-xiaofang") or auth.create_user(
        "demo-xiaofang", context.password, "department", "消防救援站联络员", street.code, department_id=department_id
    )


def _key_places(reviewer, context):
    for _, grid in context.workers:
        if db.session.execute(select(KeyPlace.id).where(KeyPlace.grid_id == grid.id).limit(1)).first():
            continue
        shape = from_db(grid.geom)
        centre, (minx, miny, maxx, maxy) = shape.centroid, shape.bounds
        for (fx, fy), suffix, category in PLACES:
            spot = Point(centre.x + fx * (maxx - minx), centre.y + fy * (maxy - miny))
            if not shape.contains(spot):
                spot = shape.representative_point()
            data = {"name": f"{grid.name[-4:]}{suffix}", "category": category, "geometry": spot, "grid_id": grid.id}
            keyplaces.create_key_place(reviewer, data)
    # Show a month of history: the places existed from the first demo day.
    db.session.execute(
        update(KeyPlace)
        .where(KeyPlace.created_at > local_midnight(context.first_day))
        .values(created_at=local_midnight(context.first_day))
    )
    db.session.commit()


def _push(user, key, data):
    data = {"id": uuid.uuid5(NAMESPACE, key), "instruction": "", "photo_required": False, "target_count": 1, **data}
    return admission.push_task(user, data)[0]


def _decide(reviewer, task, approve, reason=None, accept=False):
    if db.session.get(Task, task["id"]).status == "proposed":
        body = {"approve": approve, "reason": reason, "accept_over_budget": accept}
        admission.decide_task(reviewer, task["id"], body)


def _tasks(reviewer, fire, context):
    grids = [grid.id for _, grid in context.workers]
    due = today() + timedelta(days=5)
    duty.put_duty_type(reviewer, "fire_check", {"name": "出租房消防安全检查", "minutes": 20, "fulfil_by": None})
    first_worker = context.workers[0][0]
    if db.session.get(WorkerBudget, first_worker.id) is None:
        admission.set_budget(reviewer, first_worker.id, 120)
    _push(
        fire,
        "fire-rental",
        {
            "type": "fire_check",
            "grid_ids": grids[:4],
            "due_date": due,
            "place_category": "rental",
            "photo_required": True,
            "instruction": "检查出租房灭火器是否在有效期内并拍照",
        },
    )
    _push(
        reviewer,
        "patrol-twice",
        {
            "type": "patrol",
            "grid_ids": grids[4:8],
            "due_date": due,
            "target_count": 2,
            "counts_from": today() - timedelta(days=2),
            "title": "节前加密巡查",
        },
    )
    refused = _push(
        fire,
        "sales-survey",
        {
            "type": "shop_survey",
            "type_name": "沿街商铺经营情况摸排",
            "minutes": 40,
            "grid_ids": grids[8:],
            "due_date": due,
        },
    )
    _decide(reviewer, refused, False, "属于市场监管部门职责，不下派网格员")
    _push(
        fire,
        "over-budget",
        {
            "type": "fire_check",
            "grid_ids": grids[:1],
            "due_date": due,
            "target_count": 6,
            "title": "电动车集中充电点逐户排查",
        },
    )
    _push(
        fire,
        "pending",
        {"type": "gas_check", "type_name": "瓶装燃气用户排查", "minutes": 25, "grid_ids": grids[4:6], "due_date": due},
    )


def _joint_patrols(context):
    """About one patrol in six walked with the patrol team, some with a volunteer (only where none are recorded)."""
    db.session.execute(
        text(f"""
        INSERT INTO patrol_participant (patrol_id, name, kind, added_by)
        SELECT p.id, n.name, n.kind, p.worker_id
        FROM {PATROL_DAYS} p
        CROSS JOIN (VALUES ('综治巡防队 李队长', 'team', 0), ('志愿者 王阿姨', 'volunteer', 1)) AS n(name, kind, k)
        WHERE p.local_date BETWEEN :first AND :last AND abs(hashtext(p.id::text)) % 6 = 0
          AND (n.k = 0 OR abs(hashtext(p.id::text)) % 12 = 0)
          AND p.grid_id IN (SELECT id FROM area WHERE code LIKE '330106010%')
          AND NOT EXISTS (SELECT 1 FROM patrol_participant pp WHERE pp.patrol_id = p.id)
        """),
        {"first": context.first_day, "last": context.last_day},
    )
    db.session.commit()


def seed(context):
    """Idempotent: every part skips what exists (task ids are fixed, places only where a grid has none)."""
    street = db.session.execute(select(Area).where(Area.code == "330106010")).scalar_one()
    reviewer = _user("demo-street")
    _key_places(reviewer, context)
    _tasks(reviewer, _department_user(context, street), context)
    _joint_patrols(context)
