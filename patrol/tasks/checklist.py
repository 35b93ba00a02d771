"""The worker's checklist: open items, one-tap completion (idempotent by the phone's UUID)."""

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from patrol import messages
from patrol.areas.models import Area
from patrol.auth import roles
from patrol.auth.scope import require_role, visible_grid_ids
from patrol.errors import Conflict, Invalid, NotFound, replay_or_conflict
from patrol.extensions import db
from patrol.localtime import today, utcnow
from patrol.people import published as people
from patrol.photos.service import attach_photos
from patrol.tasks import queries
from patrol.tasks.models import Task, TaskCompletion, TaskItem

FUTURE_SLACK = timedelta(minutes=10)


def _tz():
    from flask import current_app

    return current_app.config["TIMEZONE"]


def _scope_grids(user):
    return list(db.session.execute(visible_grid_ids(user)).scalars())


def _item_view(row, visible_people):
    label = row["label"]
    if row["person_id"] is not None and row["person_id"] not in visible_people:
        label = messages.text("task.visit_person_not_visible")  # the stored label names the person
    return {
        "id": row["id"],
        "task_id": row["task_id"],
        "worker_id": row["worker_id"],
        "grid_id": row["grid_id"],
        "label": label,
        "units": row["units"],
        "key_place_id": row["key_place_id"],
        "place_name": row["place_name"],
        "place_geometry": row["place_geometry"],
        "person_id": row["person_id"],
        "title": row["title"],
        "type_code": row["type_code"],
        "type_name": row["type_name"],
        "instruction": row["instruction"],
        "due_date": row["due_date"],
        "photo_required": row["photo_required"],
        "fulfil_by": row["fulfil_by"],
        "estimated_minutes": row["units"] * row["minutes_per_item"],
        "done": row["done"],
        "done_by": "tap" if row["completion_id"] else ("record" if row["done"] else None),
        "completion": None
        if row["completion_id"] is None
        else {
            "id": row["completion_id"],
            "completed_at": row["completed_at"],
            "patrol_id": row["patrol_id"],
            "note": row["note"],
            "photo_ids": row["photo_ids"] or [],
        },
        "updated_at": row["updated_at"],
    }


def item_views(user, task_id=None, worker_id=None, item_id=None, due_from=None):
    """Items in the caller's scope (a worker: their own), with done state derived from records."""
    if user.role == "worker":
        worker_id = user.id
        grid_ids = list(db.session.execute(select(Area.id).where(Area.level == "grid")).scalars())
    else:
        grid_ids = _scope_grids(user)
    rows = queries.items(_tz(), grid_ids, worker_id=worker_id, task_id=task_id, item_id=item_id, due_from=due_from)
    visible_people = people.visible_person_ids(user, {row["person_id"] for row in rows} - {None})
    return [_item_view(row, visible_people) for row in rows]


def my_items(user, include_done=False):
    """The worker's checklist: items of delivered tasks not past due more than a week."""
    require_role(user, *roles.ONLY_WORKER)
    views = item_views(user, due_from=today() - timedelta(days=7))
    return views if include_done else [view for view in views if not view["done"]]


def _own_item(user, item_id):
    item = db.session.execute(
        select(TaskItem).where(TaskItem.id == item_id, TaskItem.worker_id == user.id).with_for_update()
    ).scalar()
    if item is None:
        raise NotFound("task.no_such_task_item", {"item_id": [item_id]})
    task = db.session.get(Task, item.task_id)
    if task.status != "active":
        raise Conflict("task.task_inactive", {"status": [task.status]})
    return item, task


def _view_of(user, item_id):
    return item_views(user, item_id=item_id)[0]


def _patrol_link(user, item, completed_at, patrol_id):
    if patrol_id is None:
        return queries.running_patrol(user.id, item.grid_id, completed_at)
    facts = queries.patrol_facts(patrol_id)
    if facts is not None and facts["worker_id"] != user.id:
        raise Invalid("task.patrol_not_yours", {"patrol_id": [str(patrol_id)]})
    return patrol_id  # a patrol still in the outbox may arrive after this


def complete_item(user, item_id, data):
    """One tap (+ photo when required) completes an item; -> (item view, created)."""
    require_role(user, *roles.ONLY_WORKER)
    earlier = db.session.get(TaskCompletion, data["id"])
    if earlier is not None:
        same = earlier.worker_id == user.id and earlier.item_id == item_id
        replay_or_conflict(
            earlier, same, messages.text("task.completion_id_taken"), {"id": [str(data["id"])]}
        )
        return _view_of(user, item_id), False
    item, task = _own_item(user, item_id)
    if db.session.execute(select(TaskCompletion.id).where(TaskCompletion.item_id == item.id)).first():
        return _view_of(user, item_id), False
    completed_at = data.get("completed_at") or utcnow()
    if completed_at > utcnow() + FUTURE_SLACK:
        raise Invalid("task.completed_in_future", {"completed_at": [messages.text("field.in_future")]})
    photo_ids = list(dict.fromkeys(data.get("photo_ids") or []))
    if task.photo_required and not photo_ids:
        raise Invalid("task.photo_required", {"photo_ids": [messages.text("field.photo_required")]})
    completion = TaskCompletion(
        id=data["id"],
        item_id=item.id,
        worker_id=user.id,
        completed_at=completed_at,
        patrol_id=_patrol_link(user, item, completed_at, data.get("patrol_id")),
        note=data.get("note"),
        photo_ids=photo_ids,
    )
    attach_photos(user, photo_ids, "task_item", completion.id, item.grid_id)
    db.session.add(completion)
    item.updated_at = utcnow()
    try:
        db.session.commit()
    except IntegrityError:  # the same item completed at once from a parallel replay
        db.session.rollback()
        return _view_of(user, item_id), False
    return _view_of(user, item_id), True
