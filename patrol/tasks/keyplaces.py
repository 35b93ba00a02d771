"""Key places (重点部位) inside grids: kept by staff, checked by passing patrols, noted in one tap."""

from datetime import timedelta

from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from patrol import messages
from patrol.areas.models import Area
from patrol.areas.queries import grid_at
from patrol.audit import service as audit
from patrol.auth import roles
from patrol.auth.scope import area_prefix, can_access_grid, require_grid, require_role, visible_grid_ids
from patrol.errors import Invalid, NotFound, replay_or_conflict
from patrol.extensions import db
from patrol.geo import in_china, to_db
from patrol.localtime import local_midnight, today, utcnow
from patrol.photos.service import attach_photos
from patrol.tasks import place_queries
from patrol.tasks.models import KeyPlace, KeyPlaceNote
from patrol.tasks.settings import setting, timezone_name

FUTURE_SLACK = timedelta(minutes=10)

_FITS = text("""
SELECT ST_Area(CAST(g AS geography)) AS area_m2,
       ST_Area(CAST(ST_Difference(g, a.geom) AS geography)) AS outside_m2,
       ST_Distance(CAST(g AS geography), CAST(a.geom AS geography)) AS distance_m
FROM area a, (SELECT ST_SetSRID(ST_GeomFromWKB(decode(:wkb, 'hex')), 4326) AS g) x
WHERE a.id = :grid_id
""")


def _check_shape(geom, grid):
    anchor = geom.representative_point()
    if not in_china(anchor.x, anchor.y):
        raise Invalid("task.place_outside_china", {"geometry": [messages.text("field.outside_china")]})
    if geom.geom_type == "Polygon" and not geom.is_valid:
        raise Invalid("task.polygon_not_valid", {"geometry": [messages.text("field.invalid_polygon")]})
    fit = db.session.execute(_FITS, {"wkb": geom.wkb_hex, "grid_id": grid.id}).one()
    tolerance = setting("KEY_PLACE_GRID_TOLERANCE_M")
    if fit.area_m2 > setting("KEY_PLACE_MAX_AREA_M2"):
        raise Invalid("task.key_place_too_large", {"geometry": [f"{round(fit.area_m2)} m²"]})
    if fit.distance_m > tolerance or fit.outside_m2 > max(fit.area_m2 * 0.1, tolerance * tolerance):
        raise Invalid("task.key_place_outside_grid", {"geometry": [messages.text("field.outside_grid")]})


def _grid_for(user, geom, grid_id):
    if grid_id is None:
        anchor = geom.representative_point()
        grid_id = grid_at(anchor.x, anchor.y, code_prefix=area_prefix(user) or None)
        if grid_id is None:
            raise Invalid("task.place_in_no_grid", {"geometry": [messages.text("field.in_no_grid")]})
    require_grid(user, grid_id)
    return db.session.get(Area, grid_id)


def create_key_place(user, data):
    """Add a key place (community admin and up); its grid follows from the geometry unless named."""
    require_role(user, *roles.STAFF)
    grid = _grid_for(user, data["geometry"], data.get("grid_id"))
    _check_shape(data["geometry"], grid)
    place = KeyPlace(
        grid_id=grid.id,
        area_code=grid.code,
        district_code=grid.district_code,
        name=data["name"],
        category=data["category"],
        geom=to_db(data["geometry"]),
        check_every_days=data.get("check_every_days", 1),
        created_by=user.id,
    )
    db.session.add(place)
    db.session.flush()
    audit.record(user, "key_place.create", "key_place", place.id, grid.code, {"name": place.name})
    db.session.commit()
    return place


def _place_in_scope(user, place_id, lock=False):
    query = select(KeyPlace).where(KeyPlace.id == place_id, KeyPlace.grid_id.in_(visible_grid_ids(user)))
    place = db.session.execute(query.with_for_update() if lock else query).scalar()
    if place is None:
        raise NotFound("task.no_such_key_place")
    return place


def update_key_place(user, place_id, data):
    """Change a key place's name, category, frequency, shape or retire it (active=false)."""
    require_role(user, *roles.STAFF)
    place = _place_in_scope(user, place_id, lock=True)
    if "geometry" in data:
        _check_shape(data["geometry"], db.session.get(Area, place.grid_id))
        place.geom = to_db(data.pop("geometry"))
    for key, value in data.items():
        setattr(place, key, value)
    audit.record(user, "key_place.update", "key_place", place.id, place.area_code, {"fields": sorted(data)})
    db.session.commit()
    return place


def list_key_places(user, grid_id=None, since=None):
    """Key places in the caller's scope (a worker: their grids)."""
    query = select(KeyPlace).where(KeyPlace.grid_id.in_(visible_grid_ids(user))).order_by(KeyPlace.id)
    if grid_id is not None:
        query = query.where(KeyPlace.grid_id == grid_id)
    # An incremental pull also carries retired places, so the phone can drop them.
    query = query.where(KeyPlace.active) if since is None else query.where(KeyPlace.updated_at > since)
    return db.session.execute(query).scalars().all()


def note_key_place(user, place_id, data):
    """A worker's one-tap note or photo at a key place; -> (note, created). Idempotent by the phone's id."""
    require_role(user, *roles.ONLY_WORKER)
    earlier = db.session.get(KeyPlaceNote, data["id"])
    if earlier is not None:
        same = earlier.worker_id == user.id and earlier.key_place_id == place_id
        return replay_or_conflict(
            earlier, same, messages.text("task.note_id_taken"), {"id": [str(data["id"])]}
        ), False
    place = _place_in_scope(user, place_id)
    noted_at = data.get("noted_at") or utcnow()
    if noted_at > utcnow() + FUTURE_SLACK:
        raise Invalid("task.noted_in_future", {"noted_at": [messages.text("field.in_future")]})
    if not data.get("note") and not data.get("photo_ids"):
        raise Invalid("task.add_note_or_photo", {"note": [messages.text("field.note_or_photo_required")]})
    note = KeyPlaceNote(
        id=data["id"],
        key_place_id=place.id,
        worker_id=user.id,
        noted_at=noted_at,
        note=data.get("note"),
        photo_ids=list(dict.fromkeys(data.get("photo_ids") or [])),
        patrol_id=data.get("patrol_id"),
    )
    attach_photos(user, note.photo_ids, "key_place_note", note.id, place.grid_id)
    db.session.add(note)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return db.session.get(KeyPlaceNote, data["id"]), False
    return note, True


def _grid_ids(user, grid_id):
    if grid_id is not None:
        if not can_access_grid(user, grid_id):
            require_grid(user, grid_id)
        return [grid_id]
    return list(db.session.execute(visible_grid_ids(user)).scalars())


def key_place_status(user, from_day, to_day, grid_id=None):
    """Key places checked / due per grid and day, derived from patrols' clean fixes and notes."""
    if (to_day - from_day).days > 366 or to_day < from_day:
        raise Invalid("task.range_over_a_year", {"to": [messages.text("field.invalid_range")]})
    rows = place_queries.status(
        _grid_ids(user, grid_id),
        from_day,
        to_day,
        setting("KEY_PLACE_CHECK_DISTANCE_M"),
        timezone_name(),
        local_midnight,
    )
    return [dict(row) for row in rows]


def checked_due(grid_id, day):
    """(checked, due) key places of a grid on a day, for the compliance and review pages."""
    rows = place_queries.status(
        [grid_id], day, day, setting("KEY_PLACE_CHECK_DISTANCE_M"), timezone_name(), local_midnight
    )
    return (rows[0]["checked"], rows[0]["due"]) if rows else (0, 0)


def missed_today(user, grid_id=None):
    """Key places due today and not yet checked, as a GeoJSON FeatureCollection for the review map."""
    day = today()
    rows = place_queries.missed(
        _grid_ids(user, grid_id), day, setting("KEY_PLACE_CHECK_DISTANCE_M"), timezone_name(), local_midnight
    )
    features = [
        {
            "type": "Feature",
            "id": row["id"],
            "geometry": row["geometry"],
            "properties": {
                "id": row["id"],
                "name": row["name"],
                "category": row["category"],
                "grid_id": row["grid_id"],
                "grid_code": row["grid_code"],
                "last_checked": row["last_checked"].isoformat() if row["last_checked"] else None,
                "day": day.isoformat(),
            },
        }
        for row in rows
    ]
    return {"type": "FeatureCollection", "features": features}
