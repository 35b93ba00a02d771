"""Push: apply each operation once through its feature. Pull: what changed in the worker's scope."""

import logging
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from flask import current_app
from marshmallow import ValidationError
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError, OperationalError

from patrol import messages
from patrol.areas.models import Area, GridAssignment
from patrol.areas.schemas import AreaFeature
from patrol.auth.scope import visible_grid_ids
from patrol.errors import DomainError, ServiceUnavailable
from patrol.extensions import db
from patrol.sync import cursor, registry
from patrol.sync.models import SyncOperation

log = logging.getLogger(__name__)


def push(user, operations):
    """Apply a batch; each operation commits on its own, so one refusal leaves the others applied."""
    known = registry.operations()
    return {"results": [apply_operation(user, known, item) for item in operations]}


def apply_operation(user, known, item):
    """One operation: the recorded answer when replayed, else the feature's apply, then recorded."""
    op_id, name = item["op_id"], item["op"]
    answer = {"op_id": op_id, "op": name}
    earlier = db.session.get(SyncOperation, op_id)
    if earlier is not None:
        if earlier.user_id != user.id or earlier.op != name:
            return {**answer, **_rejected(409, "sync.op_id_taken")}
        return {**answer, "status": "duplicate", "result": earlier.result}
    apply = known.get(name)
    if apply is None:
        return {**answer, **_rejected(422, "sync.unknown_operation", {"op": [name]}, name=name)}
    try:
        created, result = apply(user, dict(item["payload"]))
    except ValidationError as exc:
        db.session.rollback()
        return {**answer, **_rejected(422, "sync.invalid_data", _messages(exc))}
    except DomainError as exc:
        db.session.rollback()
        return {**answer, **_refused(exc)}
    except OperationalError:
        db.session.rollback()
        raise ServiceUnavailable() from None
    except Exception:
        db.session.rollback()
        log.exception("sync operation %s (%s) failed", name, op_id)
        return {**answer, **_rejected(500, "sync.apply_failed")}
    result = jsonable(result)
    _remember(user, op_id, name, created, result)
    return {**answer, "status": "applied" if created else "duplicate", "result": result}


def _remember(user, op_id, name, created, result):
    db.session.add(SyncOperation(op_id=op_id, user_id=user.id, op=name, created=created, result=result))
    try:
        db.session.commit()
    except IntegrityError:
        # The same operation arrived twice at once; the feature's own idempotency answered both.
        db.session.rollback()


def _rejected(http_status, code, errors=None, **params):
    """A refused operation: the error shape's code, message and errors, with the HTTP status it would have had."""
    return {
        "status": "rejected",
        "code": code,
        "http_status": http_status,
        "message": messages.text(code, **params),
        "errors": errors or {},
    }


def _refused(error):
    answer = _rejected(error.status_code, error.code, jsonable(error.errors))
    return {**answer, "message": error.message}


def _messages(exc):
    messages = exc.normalized_messages()
    return jsonable(messages if isinstance(messages, dict) else {"_schema": messages})


def jsonable(value):
    """Plain JSON types for a feature's result (datetimes as ISO 8601, UUIDs as strings)."""
    if isinstance(value, dict):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set):
        return [jsonable(item) for item in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, Decimal):
        return float(value)
    return value


def pull(user, since):
    """The worker's grids and every feature's records changed after `since` (None: everything)."""
    now = db.session.execute(select(func.now())).scalar_one()
    grid_ids = db.session.execute(visible_grid_ids(user)).scalars().all()
    records = {}
    for feature_pull in registry.pull_functions():
        records.update(jsonable(feature_pull(user, since)))
    return {
        "cursor": cursor.encode(now),
        "full": since is None,
        "server_time": now,
        "user": {"id": user.id, "username": user.username, "full_name": user.full_name, "role": user.role},
        "grid_ids": sorted(grid_ids),
        "grids": [AreaFeature().dump(area) for area in _changed_grids(user, grid_ids, since)],
        "basemap": basemap(),
        "timezone": current_app.config["TIMEZONE"],
        "records": records,
    }


def _changed_grids(user, grid_ids, since):
    query = select(Area).where(Area.id.in_(grid_ids)).order_by(Area.code)
    if since is not None:
        newly_held = select(GridAssignment.grid_id).where(
            GridAssignment.user_id == user.id, GridAssignment.created_at > since
        )
        query = query.where(or_(Area.updated_at > since, Area.id.in_(newly_held)))
    return db.session.execute(query).scalars().all()


def basemap():
    """The configured base map for the phone; no URL means a plain background."""
    config = current_app.config
    return {
        "url": config.get("BASEMAP_URL", ""),
        "labels_url": config.get("BASEMAP_LABELS_URL", ""),
        "subdomains": config.get("BASEMAP_SUBDOMAINS", ""),
        "attribution": config.get("BASEMAP_ATTRIBUTION", ""),
        "crs": config.get("BASEMAP_CRS", "wgs84"),
        "max_zoom": config.get("BASEMAP_MAX_ZOOM", 18),
    }
