"""Pushed tasks and their admission (事务准入): listed types go through, others wait for the street."""

import uuid
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from patrol import messages
from patrol.areas.models import Area
from patrol.audit import service as audit
from patrol.auth import roles
from patrol.auth.models import User
from patrol.auth.scope import require_role, visible_grid_ids
from patrol.errors import Conflict, Forbidden, Invalid, NotFound, unique_conflict
from patrol.extensions import db
from patrol.localtime import today, utcnow
from patrol.people import published as people
from patrol.tasks import duty, items, queries
from patrol.tasks.models import Task, TaskItem, WorkerBudget
from patrol.tasks.settings import timezone_name
from patrol.tasks.streets import require_street_staff, street_by_id, street_for


def _grids(user, grid_ids):
    grid_ids = list(dict.fromkeys(grid_ids))
    grids = db.session.execute(select(Area).where(Area.id.in_(grid_ids), Area.level == "grid")).scalars().all()
    unknown = sorted(set(grid_ids) - {grid.id for grid in grids})
    if unknown:
        raise Invalid("task.unknown_grids", {"grid_ids": [f"not a grid: {g}" for g in unknown]})
    visible = set(db.session.execute(visible_grid_ids(user).where(Area.id.in_(grid_ids))).scalars())
    outside = sorted(set(grid_ids) - visible)
    if outside:
        raise Forbidden("task.grids_outside_area", {"grid_ids": outside})
    if len({grid.code[:9] for grid in grids}) > 1:
        raise Invalid("task.grids_of_one_street", {"grid_ids": [messages.text("field.several_streets")]})
    return sorted(grids, key=lambda grid: grid.code)


def monday(day):
    return day - timedelta(days=day.weekday())


def budget_overrun(task, planned):
    """{worker id: figures} for each worker the planned items would push past their weekly budget."""
    adding = items.minutes_by_worker(task, planned)
    # Locking the budgets serialises concurrent pushes to the same workers, so two cannot both fit.
    budgets = dict(
        db.session.execute(
            select(WorkerBudget.worker_id, WorkerBudget.weekly_minutes)
            .where(WorkerBudget.worker_id.in_(adding))
            .with_for_update()
        ).all()
    )
    week = monday(today())
    already = queries.week_load([w for w in adding if w in budgets], week, timezone_name())
    over = {}
    for worker_id, minutes in adding.items():
        budget = budgets.get(worker_id)
        if budget is not None and already.get(worker_id, 0) + minutes > budget:
            over[str(worker_id)] = {
                "week": week.isoformat(),
                "budget_minutes": budget,
                "already_minutes": already.get(worker_id, 0),
                "adding_minutes": minutes,
            }
    return over


def _deliver(task, planned, actor):
    task.status = "active"
    task.pushed_on = today()
    task.over_budget = task.over_budget or None
    if actor is not None:
        task.decided_by, task.decided_at = actor.id, utcnow()
    db.session.add_all(planned)


def _new_task(user, street, data, grids):
    listed = duty.listed_type(street, data["type"])
    if listed is None and (not data.get("type_name") or not data.get("minutes")):
        raise Invalid(
            "task.off_list_type_needs_details",
            {
                "type_name": [messages.text("field.required_for_unlisted_types")],
                "minutes": [messages.text("field.required_for_unlisted_types")],
            },
        )
    counts_from = data.get("counts_from") or today()
    if data["due_date"] < today() or counts_from > data["due_date"]:
        raise Invalid("task.due_date_invalid", {"due_date": [messages.text("field.invalid")]})
    return Task(
        id=data.get("id") or uuid.uuid4(),
        street_id=street.id,
        district_code=street.district_code,
        department_id=user.department_id if user.role == "department" else None,
        created_by=user.id,
        type_code=data["type"],
        type_name=listed.name if listed else data["type_name"],
        listed=listed is not None,
        minutes_per_item=listed.minutes if listed else data["minutes"],
        fulfil_by=listed.fulfil_by if listed else data.get("fulfil_by"),
        target_count=data.get("target_count", 1),
        grid_ids=[grid.id for grid in grids],
        person_ids=data.get("person_ids") or None,
        place_category=data.get("place_category"),
        title=data.get("title") or (listed.name if listed else data["type_name"]),
        instruction=data.get("instruction", ""),
        due_date=data["due_date"],
        counts_from=counts_from,
        photo_required=data.get("photo_required", False),
        status="proposed",
    )


def push_task(user, data):
    """Push a task down; -> (task view, created). A replay of the same id returns the original."""
    require_role(user, *roles.TASK_PUSHERS)
    replay = _replay(user, data.get("id"))
    if replay is not None:
        return replay, False
    if data.get("person_ids") and not people.may_target_people(user):
        raise Forbidden(
            "task.role_not_name_people", {"person_ids": ["not allowed"]}
        )
    try:
        return _push_new(user, data), True
    except IntegrityError as error:
        if unique_conflict(error) is None or data.get("id") is None:
            raise
        db.session.rollback()  # the same id was pushed concurrently: answer as a replay
        replay = _replay(user, data["id"])
        if replay is None:
            raise
        return replay, False


def _replay(user, task_id):
    """The view of a task already pushed with this id by the user; 409 when someone else's; None when new."""
    existing = db.session.get(Task, task_id) if task_id is not None else None
    if existing is None:
        return None
    if existing.created_by != user.id:
        raise Conflict("task.task_id_taken", {"id": [str(task_id)]})
    return task_view(existing)


def _push_new(user, data):
    grids = _grids(user, data["grid_ids"])
    street = street_by_id(db.session.execute(select(Area.id).where(Area.code == grids[0].code[:9])).scalar())
    task = _new_task(user, street, data, grids)
    db.session.add(task)
    if task.listed:
        planned = items.planned_items(task)
        over = budget_overrun(task, planned)
        approved_now = data.get("accept_over_budget") and user.role in roles.STREET_STAFF
        if over and not approved_now:
            task.over_budget = over
        else:
            task.over_budget = over or None
            _deliver(task, planned, user if over else None)
    audit.record(user, "task.push", "task", task.id, street.code, {"type": task.type_code, "status": task.status})
    db.session.commit()
    return task_view(task)


def _locked_task(task_id):
    task = db.session.execute(select(Task).where(Task.id == task_id).with_for_update()).scalar()
    if task is None:
        raise NotFound("task.no_such_task")
    return task


def decide_task(user, task_id, data):
    """The street approves a proposed task (explicitly accepting any budget overrun) or refuses it."""
    task = _locked_task(task_id)
    street = street_by_id(task.street_id)
    require_street_staff(user, street)
    if task.status != "proposed":
        raise Conflict("task.already_decided", {"status": [task.status]}, status=task.status)
    if data["approve"]:
        planned = items.planned_items(task)
        over = budget_overrun(task, planned)
        if over and not data.get("accept_over_budget"):
            raise Conflict(
                "task.over_weekly_budget",
                {"over_budget": over},
            )
        task.over_budget = over or None
        _deliver(task, planned, user)
    else:
        task.status = "refused"
        task.refusal_reason = data["reason"]
        task.decided_by, task.decided_at = user.id, utcnow()
    audit.record(user, "task.decide", "task", task.id, street.code, {"status": task.status})
    db.session.commit()
    return task_view(task)


def _scope_tasks(user, query):
    if user.role == "worker":
        mine = select(TaskItem.task_id).where(TaskItem.worker_id == user.id)
        return query.where(Task.id.in_(mine))
    street_ids = select(Area.id).where(Area.level == "street", Area.code.in_(_street_codes(user)))
    query = query.where(Task.street_id.in_(street_ids))
    if user.role == "department":
        query = query.where((Task.created_by == user.id) | (Task.department_id == user.department_id))
    return query


def _street_codes(user):
    return select(func.substr(Area.code, 1, 9)).where(Area.id.in_(visible_grid_ids(user))).distinct()


def list_tasks(user, status=None, street_id=None):
    """Tasks the caller pushed, decides or works on, newest first."""
    query = _scope_tasks(user, select(Task)).order_by(Task.created_at.desc()).limit(500)
    if status:
        query = query.where(Task.status == status)
    if street_id is not None:
        query = query.where(Task.street_id == street_for(user, street_id).id)
    return [task_view(task) for task in db.session.execute(query).scalars()]


def get_task(user, task_id):
    """One task in scope with its items and their state."""
    task = db.session.execute(_scope_tasks(user, select(Task).where(Task.id == task_id))).scalar()
    if task is None:
        raise NotFound("task.no_such_task")
    from patrol.tasks.checklist import item_views

    view = task_view(task)
    worker_id = user.id if user.role == "worker" else None
    view["checklist"] = item_views(user, task_id=task.id, worker_id=worker_id)
    return view


def task_view(task):
    """A task as the API returns it, with its item counts."""
    counts = db.session.execute(
        select(func.count(TaskItem.id), func.coalesce(func.sum(TaskItem.units * task.minutes_per_item), 0)).where(
            TaskItem.task_id == task.id
        )
    ).one()
    return {
        **{column.key: getattr(task, column.key) for column in Task.__table__.columns},
        "items_total": counts[0],
        "estimated_minutes": int(counts[1]),
    }


def set_budget(user, worker_id, weekly_minutes):
    """The street sets a worker's weekly budget of pushed-task minutes."""
    worker = db.session.get(User, worker_id)
    if worker is None or worker.role != "worker" or worker.area is None:
        raise NotFound("task.no_such_worker")
    street = street_for(user, street_id_of(worker))
    require_street_staff(user, street)
    budget = db.session.get(WorkerBudget, worker_id) or WorkerBudget(worker_id=worker_id)
    budget.weekly_minutes = weekly_minutes
    budget.set_by = user.id
    db.session.add(budget)
    audit.record(user, "task.budget", "user", worker_id, worker.area.code, {"weekly_minutes": weekly_minutes})
    db.session.commit()
    return {"worker_id": worker_id, "weekly_minutes": weekly_minutes}


def street_id_of(worker):
    return db.session.execute(select(Area.id).where(Area.code == worker.area.code[:9])).scalar()
