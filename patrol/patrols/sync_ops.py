"""Offline sync operations for patrols (used by POST /api/v1/sync/push) and the phone's pull."""

from datetime import timedelta

from flask import current_app
from marshmallow import ValidationError
from sqlalchemy import select

from patrol.areas.models import Area
from patrol.auth.scope import worker_grid_ids
from patrol.extensions import db
from patrol.localtime import utcnow
from patrol.patrols import service
from patrol.patrols.models import Patrol, PatrolRule
from patrol.patrols.rules import effective_rules
from patrol.patrols.schemas import PatrolFeature, PatrolFinish, PatrolStart, PointsBatch
from patrol.patrols.settings import setting

PULL_DAYS = 2


def _patrol_id(payload):
    if not isinstance(payload, dict):
        raise ValidationError({"_schema": ["payload must be an object"]})
    rest = dict(payload)
    raw = rest.pop("patrol_id", None)
    if raw is None:
        raise ValidationError({"patrol_id": ["Missing data for required field."]})
    return PatrolStart().fields["id"].deserialize(raw), rest


def apply_start(user, payload):
    """patrol.start: the body of POST /api/v1/patrols."""
    body = PatrolStart().load(payload)
    patrol, created = service.start_patrol(user, body["id"], body["grid_id"], body["started_at"])
    return created, PatrolFeature().dump(patrol)


def apply_points(user, payload):
    """patrol.points: the body of POST /api/v1/patrols/{id}/points plus patrol_id."""
    patrol_id, rest = _patrol_id(payload)
    body = PointsBatch().load(rest)
    result = service.add_points(user, patrol_id, body["points"])
    return result["stored"] > 0, result


def apply_finish(user, payload):
    """patrol.finish: the body of POST /api/v1/patrols/{id}/finish plus patrol_id."""
    patrol_id, rest = _patrol_id(payload)
    body = PatrolFinish().load(rest)
    patrol, changed = service.finish_patrol(user, patrol_id, body["ended_at"])
    return changed, PatrolFeature().dump(patrol)


OPERATIONS = {"patrol.start": apply_start, "patrol.points": apply_points, "patrol.finish": apply_finish}


def _rule_rows(user, since):
    grids = db.session.execute(select(Area).where(Area.id.in_(worker_grid_ids(user)))).scalars().all()
    if since is not None:
        prefixes = {g.code[:n] for g in grids for n in (9, 12)}
        changed = db.session.execute(
            select(PatrolRule.id).where(PatrolRule.area_code.in_(prefixes), PatrolRule.updated_at > since).limit(1)
        ).first()
        if changed is None:
            return []
    quality = _quality_settings()
    rows = []
    for grid in grids:
        rules = effective_rules(grid.code)
        rows.append(
            {
                "id": grid.id,
                "grid_id": grid.id,
                **{k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in rules.items()},
                **quality,
            }
        )
    return rows


def _quality_settings():
    """What the phone needs to compute a patrol's figures and verdict as the server does."""
    return {
        "max_accuracy_m": setting("PATROL_MAX_ACCURACY_M"),
        "max_speed_mps": setting("PATROL_MAX_SPEED_MPS"),
        "far_outside_m": setting("PATROL_FAR_OUTSIDE_M"),
        "gap_s": setting("PATROL_GAP_S"),
        "cell_m": setting("PATROL_COVERAGE_CELL_M"),
        "timezone": current_app.config["TIMEZONE"],
    }


def pull(user, since):
    """The worker's patrols of the last two days (with figures) and the rules of their grids."""
    query = select(Patrol).where(Patrol.worker_id == user.id, Patrol.started_at >= utcnow() - timedelta(days=PULL_DAYS))
    if since is not None:
        query = query.where(Patrol.updated_at > since)
    patrols = db.session.execute(query.order_by(Patrol.started_at)).scalars().all()
    return {"patrols": PatrolFeature(many=True).dump(patrols), "patrol_rules": _rule_rows(user, since)}
