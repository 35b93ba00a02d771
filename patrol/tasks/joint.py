"""Joint patrols (专群联动): who walked a patrol with its recording worker, and the figures derived."""

from sqlalchemy import delete, select

from patrol import messages
from patrol.auth import roles
from patrol.auth.models import User
from patrol.auth.scope import can_access_grid, require_grid, require_role, visible_grid_ids
from patrol.errors import Invalid, NotFound
from patrol.extensions import db
from patrol.tasks import joint_queries, queries
from patrol.tasks.models import PatrolParticipant

MAX_PARTICIPANTS = 30


def _patrol(user, patrol_id, writing):
    facts = queries.patrol_facts(patrol_id)
    if facts is None or not can_access_grid(user, facts["grid_id"]):
        raise NotFound("task.no_such_patrol", {"patrol_id": [str(patrol_id)]})
    if writing and facts["worker_id"] != user.id:
        raise NotFound("task.no_such_patrol_of_yours", {"patrol_id": [str(patrol_id)]})
    return facts


def _checked_users(facts, participants):
    user_ids = {p["user_id"] for p in participants if p.get("user_id") is not None}
    found = dict(db.session.execute(select(User.id, User.full_name).where(User.id.in_(user_ids), User.active)).all())
    unknown = sorted(user_ids - set(found))
    if unknown:
        raise Invalid("task.unknown_users", {"participants": [f"unknown user {u}" for u in unknown]})
    if facts["worker_id"] in user_ids:
        raise Invalid("task.recorder_is_participant", {"participants": [messages.text("field.self")]})
    return found


def participants_view(facts):
    rows = db.session.execute(
        select(PatrolParticipant).where(PatrolParticipant.patrol_id == facts["id"]).order_by(PatrolParticipant.id)
    ).scalars()
    return {
        "patrol_id": facts["id"],
        "recorder_id": facts["worker_id"],
        "participants": [{"name": p.name, "kind": p.kind, "user_id": p.user_id} for p in rows],
    }


def set_participants(user, patrol_id, participants):
    """Replace the participants of the caller's own patrol; -> (view, changed). Replays change nothing."""
    require_role(user, *roles.ONLY_WORKER)
    if len(participants) > MAX_PARTICIPANTS:
        raise Invalid(
            "task.too_many_participants",
            {"participants": [messages.text("field.too_many")]},
            max_participants=MAX_PARTICIPANTS,
        )
    facts = _patrol(user, patrol_id, writing=True)
    names = _checked_users(facts, participants)
    wanted = [(p.get("name") or names.get(p.get("user_id")) or "", p["kind"], p.get("user_id")) for p in participants]
    if any(not name for name, _, _ in wanted):
        raise Invalid("task.participant_name_required", {"participants": [messages.text("field.name_required")]})
    current = participants_view(facts)["participants"]
    if [(p["name"], p["kind"], p["user_id"]) for p in current] == wanted:
        return participants_view(facts), False
    db.session.execute(delete(PatrolParticipant).where(PatrolParticipant.patrol_id == patrol_id))
    db.session.add_all(
        PatrolParticipant(patrol_id=patrol_id, name=name[:50], kind=kind, user_id=user_id, added_by=user.id)
        for name, kind, user_id in wanted
    )
    db.session.commit()
    return participants_view(facts), True


def get_participants(user, patrol_id):
    """The participants of a patrol in the caller's scope."""
    return participants_view(_patrol(user, patrol_id, writing=False))


def joint_figures(user, from_day, to_day, grid_id=None):
    """Per grid patrols and person-hours; per worker the patrols credited (own + joined in their grid)."""
    require_role(user, *roles.FIELD_AND_STAFF)
    if to_day < from_day or (to_day - from_day).days > 366:
        raise Invalid("task.range_over_a_year", {"to": [messages.text("field.invalid_range")]})
    if grid_id is not None:
        require_grid(user, grid_id)
        grid_ids = [grid_id]
    else:
        grid_ids = list(db.session.execute(visible_grid_ids(user)).scalars())
    workers = [dict(row) for row in joint_queries.credited(grid_ids, from_day, to_day)]
    if user.role == "worker":
        workers = [row for row in workers if row["worker_id"] == user.id]
    return {
        "from": from_day,
        "to": to_day,
        "grids": [dict(row) for row in joint_queries.by_grid(grid_ids, from_day, to_day)],
        "workers": workers,
    }
