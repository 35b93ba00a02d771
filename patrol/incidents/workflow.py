"""The closed loop: every action checked for role and status, race-safe, appended to history."""

from dataclasses import dataclass

from sqlalchemy import select

from patrol import messages
from patrol.areas.models import Area
from patrol.auth import roles
from patrol.errors import Conflict, DomainError, Forbidden, Invalid, PreconditionFailed
from patrol.extensions import db
from patrol.incidents import catalog, service
from patrol.incidents.deadlines import due_time
from patrol.incidents.models import OPEN_STATUSES, IncidentEvent
from patrol.localtime import utcnow
from patrol.photos import service as photos

HANDLERS = ("department",)


@dataclass(frozen=True)
class Transition:
    from_statuses: tuple
    to_status: str | None  # None: stays
    roles: tuple
    note_required: bool = False


TRANSITIONS = {
    "accept": Transition(("reported",), "accepted", roles.STREET_STAFF),  # 立案
    "reject": Transition(("reported",), "rejected", roles.STREET_STAFF, note_required=True),  # 不予立案
    "dispatch": Transition(("accepted",), "dispatched", roles.STREET_STAFF),  # 派遣
    "start": Transition(("dispatched",), "in_progress", HANDLERS),  # 开始处置
    "resolve": Transition(("dispatched", "in_progress"), "resolved", HANDLERS, note_required=True),  # 处置反馈
    "send_back": Transition(("resolved",), "dispatched", roles.STREET_STAFF, note_required=True),  # 返工
    "close": Transition(("resolved",), "closed", roles.STREET_STAFF),  # 核查结案
    "reopen": Transition(("closed",), "accepted", roles.STREET_STAFF, note_required=True),  # 重新打开
    "merge": Transition(OPEN_STATUSES, "closed", roles.STREET_STAFF),  # 合并重复事件
}
ACTIONS = tuple(TRANSITIONS)

# Called as hook(incident, event) after an action is applied and before its commit (same transaction).
ACTION_HOOKS = []


def _may_act(user, incident, transition):
    if user.role not in transition.roles:
        return False
    if user.role == "department":
        return incident.department_id is not None and incident.department_id == user.department_id
    return True


def allowed_actions(user, incident):
    """The actions the user may take on the incident now (for buttons on the phone and review pages)."""
    return [
        name
        for name, transition in TRANSITIONS.items()
        if incident.status in transition.from_statuses
        and _may_act(user, incident, transition)
        and not (name == "reopen" and incident.merged_into is not None)
    ]


def _check_if_match(incident, if_match):
    if if_match is None or if_match.strip() == "*":
        return
    tags = [tag.strip().removeprefix("W/") for tag in if_match.split(",")]
    if service.etag(incident) not in tags:
        raise PreconditionFailed(
            "incident.changed_since_read",
            {"version": [incident.version]},
            headers={"ETag": service.etag(incident)},
        )


def act(user, incident_id, body, if_match=None):
    """Apply one action; -> the updated incident. Row lock + status check make concurrent actions safe."""
    action = body["action"]
    transition = TRANSITIONS[action]
    service.get_visible(user, incident_id)  # 404 before anything else
    if user.role not in transition.roles:
        raise Forbidden(
            "incident.role_may_not_act",
            {"action": [action], "allowed_roles": list(transition.roles)},
            action=action,
        )
    incident = service.get_visible(user, incident_id, lock=True)
    _check_if_match(incident, if_match)
    if incident.status not in transition.from_statuses:
        raise Conflict(
            "incident.action_not_allowed_in_status",
            {"status": [incident.status], "action": [action]},
            status=incident.status,
            action=action,
        )
    if not _may_act(user, incident, transition):
        raise Forbidden("incident.not_dispatched_to_you")
    note = (body.get("note") or "").strip() or None
    if transition.note_required and not note:
        raise Invalid("incident.action_needs_note", {"note": [messages.text("field.required")]})
    now = utcnow()
    from_status = incident.status
    try:
        photo_ids = photos.attach_photos(user, body.get("photo_ids") or [], "incident", incident.id, incident.grid_id)
        detail = APPLY[action](user, incident, body, now)
    except DomainError:
        db.session.rollback()  # nothing of a refused action stays in the session
        raise
    incident.status = transition.to_status
    incident.version += 1
    incident.updated_at = now
    event = IncidentEvent(
        incident_id=incident.id,
        action=action,
        from_status=from_status,
        to_status=incident.status,
        actor_id=user.id,
        at=now,
        note=note,
        department_id=incident.department_id,
        photo_ids=photo_ids,
        detail=detail or {},
    )
    db.session.add(event)
    db.session.flush()
    for hook in ACTION_HOOKS:
        hook(incident, event)
    db.session.commit()
    return incident


def _street_id(incident):
    return db.session.execute(select(Area.id).where(Area.code == incident.grid_code[:9])).scalar_one()


def _department(incident, body, required):
    if body.get("department_id") is not None:
        return catalog.department_in_street(body["department_id"], _street_id(incident))
    if incident.department_id is not None and not required:
        return incident.department
    department = catalog.default_department(incident.category, _street_id(incident))
    if department is None:
        raise Invalid("incident.choose_department", {"department_id": [messages.text("field.required")]})
    return department


def _accept(user, incident, body, now):
    incident.accepted_at = now


def _reject(user, incident, body, now):
    incident.closed_at = now


def _dispatch(user, incident, body, now):
    department = _department(incident, body, required=incident.department_id is None)
    incident.department_id = department.id
    incident.department = department
    incident.dispatched_at = now
    incident.first_dispatched_at = incident.first_dispatched_at or now
    category = incident.category
    # An upstream work order's own deadline governs instead of the category's.
    incident.due_at = incident.external_due_at or due_time(now, category.deadline_value, category.deadline_unit)
    return {"department": department.name, "due_at": incident.due_at.isoformat()}


def _start(user, incident, body, now):
    return None


def _resolve(user, incident, body, now):
    incident.resolved_at = now


def _send_back(user, incident, body, now):
    # Rework keeps the original deadline: a case sent back is late if the redo runs past it.
    if body.get("department_id") is not None:
        department = _department(incident, body, required=True)
        incident.department_id = department.id
        incident.department = department
    incident.rework_count += 1
    incident.resolved_at = None
    incident.dispatched_at = now
    return {"rework": incident.rework_count}


def _close(user, incident, body, now):
    incident.closed_at = now
    return {"on_time": incident.due_at is None or now <= incident.due_at}


def _reopen(user, incident, body, now):
    if incident.merged_into is not None:
        raise Conflict("incident.merged_cannot_reopen", {"merged_into": [messages.text("field.already_set")]})
    incident.reopen_count += 1
    incident.closed_at = None
    incident.resolved_at = None
    incident.due_at = incident.external_due_at
    return {"reopen": incident.reopen_count}


def _merge(user, incident, body, now):
    into_id = body.get("into_id")
    if into_id is None or into_id == incident.id:
        raise Invalid("incident.merge_target_required", {"into_id": [messages.text("field.required")]})
    target = service.get_visible(user, into_id, lock=True)
    if target.status not in OPEN_STATUSES or target.merged_into is not None:
        raise Conflict("incident.merge_target_closed", {"into_id": [target.status]})
    incident.merged_into = target.id
    incident.closed_at = now
    target.version += 1
    target.updated_at = now
    db.session.add(
        IncidentEvent(
            incident_id=target.id,
            action="merge_in",
            from_status=target.status,
            to_status=target.status,
            actor_id=user.id,
            at=now,
            note=(body.get("note") or None),
            department_id=target.department_id,
            photo_ids=[],
            detail={"from": str(incident.id), "reporter_id": incident.reporter_id},
        )
    )
    return {"into": str(target.id)}


APPLY = {
    "accept": _accept,
    "reject": _reject,
    "dispatch": _dispatch,
    "start": _start,
    "resolve": _resolve,
    "send_back": _send_back,
    "close": _close,
    "reopen": _reopen,
    "merge": _merge,
}
