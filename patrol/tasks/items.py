"""Turning a delivered task into checklist items: per worker of each grid, per place or person."""

from sqlalchemy import select

from patrol.areas.models import Area, GridAssignment
from patrol.auth.models import User
from patrol.auth.scope import active_assignment_clause
from patrol.extensions import db
from patrol.localtime import today
from patrol.tasks import queries
from patrol.tasks.models import KeyPlace, TaskItem


def grid_workers(grid_ids, on_day=None):
    """[(worker id, grid)] of the active workers holding the grids on that day."""
    rows = db.session.execute(
        select(GridAssignment.user_id, Area)
        .join(Area, Area.id == GridAssignment.grid_id)
        .join(User, User.id == GridAssignment.user_id)
        .where(
            GridAssignment.grid_id.in_(grid_ids),
            active_assignment_clause(on_day or today()),
            User.role == "worker",
            User.active,
        )
        .order_by(Area.code, GridAssignment.user_id)
    ).all()
    return list(dict.fromkeys((worker_id, grid) for worker_id, grid in rows))


def _targets(task, grids):
    """{grid id: [(label, key_place_id, person_id, units)]} of what must be done in each grid."""
    targets = {grid.id: [] for grid in grids}
    if task.person_ids:
        for person in queries.persons_in_grids(task.person_ids, targets):
            targets[person.grid_id].append((f"走访 {person.name}", None, person.id, 1))
        return targets
    if task.place_category:
        places = db.session.execute(
            select(KeyPlace)
            .where(KeyPlace.grid_id.in_(targets), KeyPlace.category == task.place_category, KeyPlace.active)
            .order_by(KeyPlace.name, KeyPlace.id)
        ).scalars()
        for place in places:
            targets[place.grid_id].append((place.name, place.id, None, 1))
    for grid in grids:
        if not targets[grid.id] and not task.person_ids:
            label = task.title if task.target_count == 1 else f"{task.title} ×{task.target_count}"
            targets[grid.id].append((label, None, None, task.target_count))
    return targets


def planned_items(task, on_day=None):
    """The items a task would give, unsaved: [TaskItem] for each worker of each grid."""
    assignments = grid_workers(task.grid_ids, on_day)
    grids = list(dict.fromkeys(grid for _, grid in assignments))
    targets = _targets(task, grids)
    return [
        TaskItem(
            task_id=task.id,
            worker_id=worker_id,
            grid_id=grid.id,
            district_code=grid.district_code,
            label=label[:200],
            key_place_id=place_id,
            person_id=person_id,
            units=units,
        )
        for worker_id, grid in assignments
        for label, place_id, person_id, units in targets[grid.id]
    ]


def minutes_by_worker(task, planned):
    """{worker id: estimated minutes} the planned items add."""
    load = {}
    for item in planned:
        load[item.worker_id] = load.get(item.worker_id, 0) + item.units * task.minutes_per_item
    return load
