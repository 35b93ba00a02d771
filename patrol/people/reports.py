"""Visit statistics and the person export (masked unless an audited reason is given)."""

from datetime import timedelta

from sqlalchemy import select

from patrol import messages
from patrol.areas.models import Area
from patrol.audit import service as audit
from patrol.auth.models import User
from patrol.auth.scope import area_prefix
from patrol.errors import Invalid
from patrol.extensions import db
from patrol.localtime import today
from patrol.people import categories as cats
from patrol.people import pii, queries, service
from patrol.tabular import Column, table_response

STAT_COLUMNS = [
    Column("key", "编码", "key", "text", 16),
    Column("label", "名称", "name", "text", 20),
    Column("persons", "人数", "persons", "int", 8),
    Column("done", "已走访次数", "visits done", "int", 10),
    Column("due", "应走访次数", "visits due", "int", 10),
    Column("on_time", "按时走访", "on time", "int", 10),
    Column("overdue", "逾期", "overdue", "int", 8),
    Column("on_time_rate", "按时率", "on-time rate", "percent", 10),
]
GROUP_NAMES = {"category": "人员类别", "grid": "网格", "worker": "网格员"}


def _labels(group_by, keys):
    if group_by == "category":
        return {k: cats.BY_CODE[k].label if k in cats.BY_CODE else k for k in keys}
    ids = [int(k) for k in keys]
    if group_by == "grid":
        rows = db.session.execute(select(Area.id, Area.code, Area.name).where(Area.id.in_(ids))).all()
        return {str(r.id): f"{r.code} {r.name}" for r in rows}
    rows = db.session.execute(select(User.id, User.full_name).where(User.id.in_(ids))).all()
    return {str(r.id): r.full_name for r in rows}


def visit_stats(user, from_day=None, to_day=None, area_id=None, group_by="category", fmt="json"):
    """Visits done, due, on time and overdue per category, grid or worker, over local days [from, to]."""
    scope = service.scope_of(user)
    to_day = to_day or today()
    from_day = from_day or to_day - timedelta(days=29)
    if from_day > to_day:
        raise Invalid("people.from_after_to", {"from": [messages.text("field.after_to")]})
    prefix = service.area_in_scope(user, area_id).code if area_id is not None else ""
    rows = queries.visit_stats(scope, prefix, group_by, from_day, to_day, today())
    labels = _labels(group_by, [r.key for r in rows])
    table = [
        {
            "key": r.key,
            "label": labels.get(r.key, r.key),
            "persons": r.persons,
            "done": r.done,
            "due": r.due,
            "on_time": r.on_time,
            "overdue": r.overdue,
            "on_time_rate": round(r.on_time / (r.on_time + r.overdue), 4) if r.on_time + r.overdue else None,
        }
        for r in rows
    ]
    if fmt != "json":
        audit.record(
            user, "visits.stats.export", "visit", None, prefix or area_prefix(user),
            {"format": fmt, "group_by": group_by, "from": str(from_day), "to": str(to_day)},
        )  # fmt: skip
        db.session.commit()
    name = f"走访统计_{GROUP_NAMES[group_by]}_{from_day}_{to_day}"
    return table_response(fmt, table, STAT_COLUMNS, name, "走访统计", f"特殊人群走访统计（{from_day} 至 {to_day}）")


PERSON_COLUMNS = [
    Column("id", "编号", "id", "int", 8),
    Column("name", "姓名", "name", "text", 10),
    Column("gender", "性别", "gender", "text", 6),
    Column("birth_year", "出生年份", "birth year", "int", 10),
    Column("id_number", "身份证号", "ID number", "text", 22),
    Column("phone", "联系电话", "phone", "text", 15),
    Column("address", "住址", "address", "text", 28),
    Column("grid_code", "网格编码", "grid", "text", 17),
    Column("categories", "人员类别", "categories", "text", 24),
    Column("attention", "关注等级", "attention level", "text", 10),
    Column("last_visit_date", "最近走访", "last visit", "date", 12),
    Column("next_due_date", "下次应访", "next due", "date", 12),
    Column("active", "在册", "active", "text", 6),
]


def export_people(user, fmt, unmasked=False, reason=None, **filters):
    """The people in scope as CSV/XLSX; masked unless unmasked with a reason (community admin and up)."""
    service.refuse_worker_export(user, unmasked, reason)
    people = service.list_people(user, limit=None, **filters)
    due = queries.due_by_person([p.id for p in people])
    rows = []
    for person in people:
        plain = pii.revealed(person) if unmasked else None
        row_due = due.get(person.id)
        rows.append(
            {
                "id": person.id,
                "name": person.name,
                "gender": "男" if person.gender == "M" else "女",
                "birth_year": person.birth_date.year,
                "id_number": plain["id_number"] if plain else person.id_number_masked,
                "phone": plain["phone"] if plain else person.phone_masked,
                "address": person.address,
                "grid_code": person.area_code,
                "categories": "、".join(cats.BY_CODE[c.category].label for c in person.categories),
                "attention": cats.ATTENTION_LEVELS[person.attention_level],
                "last_visit_date": row_due.last_visit_date if row_due else None,
                "next_due_date": row_due.due_date if row_due else None,
                "active": "是" if person.active else "否",
            }
        )
    detail = {"format": fmt, "rows": len(rows), "unmasked": bool(unmasked)}
    if unmasked:
        detail["reason"] = reason
    audit.record(user, "people.export", "person", None, area_prefix(user), detail)
    db.session.commit()
    return table_response(fmt, rows, PERSON_COLUMNS, f"特殊人群台账_{today()}", "人员台账")
