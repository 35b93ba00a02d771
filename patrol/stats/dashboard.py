"""Data for the review page: filter choices, dashboard series, a grid's day, a patrol's replay, overdue visits."""

from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import text

from patrol import messages
from patrol.areas.models import Area
from patrol.auth import roles
from patrol.auth.scope import covers_code, require_grid, require_role
from patrol.errors import Forbidden, Invalid, NotFound
from patrol.extensions import db
from patrol.localtime import local_midnight, to_local, utcnow
from patrol.maps.published import map_scope
from patrol.patrols.published import CLEAN_FIXES
from patrol.stats import queries, sources
from patrol.stats.columns import STATUS_ZH

MAX_DAYS = 92

_AREAS = text("""
SELECT a.id, a.code, a.name, a.level, a.parent_id FROM area a
WHERE a.code LIKE :prefix || '%' AND a.level IN ('street', 'community', 'grid') ORDER BY a.code
""")
_WORKERS = text("""
SELECT DISTINCT u.id, u.full_name, ga.grid_id FROM grid_assignment ga
JOIN app_user u ON u.id = ga.user_id JOIN area a ON a.id = ga.grid_id
WHERE u.role = 'worker' AND u.active AND a.code LIKE :prefix || '%'
  AND ga.start_date <= :day AND (ga.end_date IS NULL OR ga.end_date >= :day)
ORDER BY u.full_name, u.id
""")
_REPLAY = text(f"""
SELECT extract(epoch FROM fix_time) * 1000 AS ms, ST_X(geom) AS lon, ST_Y(geom) AS lat
FROM {CLEAN_FIXES} t WHERE patrol_id = :id AND fix_time BETWEEN :lo AND :hi ORDER BY fix_time
""")


def _iso(value):
    return value.isoformat() if isinstance(value, (date, datetime)) else value


def context(user, day):
    """Who is looking and the choices for the filters: communities, grids, workers, incident categories."""
    require_role(user, *roles.AREA_STAFF)
    scope = map_scope(user)
    areas = [dict(r) for r in db.session.execute(_AREAS, {"prefix": scope.prefix}).mappings()]
    workers = {}
    if user.role != "department":
        for row in db.session.execute(_WORKERS, {"prefix": scope.prefix, "day": day}).mappings():
            workers.setdefault(row["id"], {"id": row["id"], "name": row["full_name"], "grid_ids": []})
            workers[row["id"]]["grid_ids"].append(row["grid_id"])
    from patrol.incidents import published as incidents

    categories = [{"code": c.code, "name": c.name} for c in incidents.list_categories(user) if c.parent_id is None]
    home = user.area
    return {
        "user": {"id": user.id, "username": user.username, "full_name": user.full_name, "role": user.role},
        "area": None if home is None else {"id": home.id, "code": home.code, "name": home.name, "level": home.level},
        "communities": [a for a in areas if a["level"] == "community"],
        "streets": [a for a in areas if a["level"] == "street"],
        "grids": [a for a in areas if a["level"] == "grid"],
        "workers": list(workers.values()),
        "categories": categories,
        "statuses": [{"code": k, "name": v} for k, v in messages.labels("incident_status", keys=STATUS_ZH).items()],
        "timezone": current_app.config["TIMEZONE"],
        "basemap_configured": bool(current_app.config.get("BASEMAP_URL")),
    }


def _area_in_scope(user, area_id):
    area = db.session.get(Area, area_id)
    if area is None:
        raise NotFound("report.no_such_area")
    if not covers_code(user, area.code):
        raise Forbidden("report.area_outside_yours", {"area_id": [area_id]})
    return area


def dashboard(user, date_from, date_to, area_id=None):
    """Series for the charts: compliance by day, incidents by category and status, closing on time, visits."""
    require_role(user, *roles.AREA_STAFF)
    if date_to < date_from or (date_to - date_from).days > MAX_DAYS:
        raise Invalid("report.invalid_date_range", {"to": [f"from <= to, at most {MAX_DAYS} days"]})
    prefix = map_scope(user).prefix if area_id is None else _area_in_scope(user, area_id).code
    window = {
        "start": local_midnight(date_from),
        "end": local_midnight(date_to + timedelta(days=1)),
        "now": utcnow(),
        "prefix": prefix,
        "department_id": (user.department_id or -1) if user.role == "department" else None,
    }
    indicators = sources.incident_indicators(user, date_from, date_to, area_id)
    total = next((r for r in indicators if r["key"] is None), {})
    result = {
        "from": date_from.isoformat(),
        "to": date_to.isoformat(),
        "incidents_by_category": [r for r in indicators if r["key"] is not None],
        "incidents_by_status": sources.incidents_by_category_and_status(window),
        # patrol (the grid's own work), upstream (work orders, docs/open311.md), citizen
        "incidents_by_source": [
            r for r in sources.incident_indicators(user, date_from, date_to, area_id, "source") if r["key"] is not None
        ],
        "on_time_close_rate": total.get("on_time_close_rate"),
        "incident_totals": total,
        "compliance_by_day": [],
        "visits": [],
    }
    if user.role != "department":
        result["compliance_by_day"] = [
            {
                "day": r["key"],
                "grid_days": r["grid_days"],
                "compliant_days": r["compliant_days"],
                "rate": round(r["compliant_days"] / r["grid_days"], 4) if r["grid_days"] else None,
            }
            for r in sources.compliance_by_day(user, date_from, date_to, area_id)
        ]
        result["visits"] = sources.visits_by_category(user, date_from, date_to, area_id)
    return result


def grid_day(user, grid_id, day):
    """A grid's day: its patrols with their figures and why one does not count, its incidents and visits."""
    require_role(user, *roles.AREA_STAFF)
    require_grid(user, grid_id)
    from patrol.patrols import published as patrols

    grid = db.session.get(Area, grid_id)
    found = [] if user.role == "department" else patrols.list_patrols(user, grid_id=grid_id, date=day)
    patrol_rows = []
    for patrol in sorted(found, key=lambda p: p.started_at):
        props = patrols.patrol_properties(patrol)
        props["reasons_zh"] = [patrols.REASON_ZH.get(r, r) for r in props["invalid_reasons"]]
        patrol_rows.append(props)
    params = {
        "grid_id": grid_id,
        "start": local_midnight(day),
        "end": local_midnight(day + timedelta(days=1)),
        "department_id": (user.department_id or -1) if user.role == "department" else None,
    }
    incidents = [
        {k: _iso(v) for k, v in row.items()} | {"status_zh": STATUS_ZH.get(row["status"], row["status"])}
        for row in db.session.execute(queries.GRID_DAY_INCIDENTS, params).mappings()
    ]
    visits = [] if user.role == "department" else _visits(user, grid_id, day)
    return {
        "grid": {"id": grid.id, "code": grid.code, "name": grid.name, "households": grid.households},
        "date": day.isoformat(),
        "patrols": patrol_rows,
        "incidents": incidents,
        "visits": visits,
    }


def _visits(user, grid_id, day):
    from patrol.people import published as people

    rows = people.list_visits(user, area_id=grid_id, from_day=day, to_day=day, limit=200)
    return [
        {
            "id": str(v["id"]),
            "person": sources.mask_name(v["person_name"]),
            "visited_at": _iso(to_local(v["visited_at"])),
            "method": v["method"],
            "condition": v["condition"],
        }
        for v in rows
    ]


def replay(user, patrol_id):
    """The clean fixes of one patrol in time order, [[ms, lon, lat], …], for replaying its track."""
    require_role(user, *roles.STAFF)
    from patrol.patrols import published as patrols

    patrol = patrols.get_patrol(user, patrol_id)
    hi = patrol.ended_at or utcnow()
    rows = db.session.execute(
        _REPLAY, {"id": patrol.id, "lo": patrol.started_at - timedelta(hours=1), "hi": hi + timedelta(hours=1)}
    )
    return {"id": str(patrol.id), "points": [[int(r.ms), round(r.lon, 7), round(r.lat, 7)] for r in rows]}


def overdue_people(user, area_id=None):
    """People overdue for a visit as GeoJSON points, masked (no personal data beyond the masked name)."""
    require_role(user, *roles.STAFF)
    features = []
    for row in sources.overdue_visits(user, area_id):
        if row["location"] is None:
            continue
        properties = {k: _iso(v) for k, v in row.items() if k != "location"}
        features.append({"type": "Feature", "geometry": row["location"], "properties": properties})
    return {"type": "FeatureCollection", "features": features, "timezone": current_app.config["TIMEZONE"]}
