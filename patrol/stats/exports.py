"""Exports other systems import, every one scoped and audited: CSV/XLSX tables, GPX tracks, GeoJSON layers."""

import json
from datetime import timedelta
from xml.sax.saxutils import escape

from flask import Response
from sqlalchemy import text

from patrol.audit import service as audit
from patrol.auth import roles
from patrol.auth.scope import area_prefix, require_role, require_track_reader
from patrol.errors import Invalid
from patrol.extensions import db
from patrol.localtime import local_midnight, today
from patrol.maps import published as maps
from patrol.patrols.published import CLEAN_FIXES, PATROL_DAYS
from patrol.stats import columns as cols
from patrol.stats import sources
from patrol.tabular import table_response, xlsx_response

TABLES = {
    "compliance": ("巡查达标", cols.COMPLIANCE),
    "incidents": ("事件处置", cols.INDICATORS),
    "visits": ("走访统计", cols.VISITS),
}
MAX_DAYS = 366


def _check_range(date_from, date_to):
    if date_to < date_from or (date_to - date_from).days > MAX_DAYS:
        raise Invalid("report.invalid_date_range", {"to": [f"from <= to, at most {MAX_DAYS} days"]})


def _audit(user, what, fmt, detail):
    audit.record(user, "stats.export", what, None, area_prefix(user) or None, {"format": fmt, **detail})
    db.session.commit()


def _rows(user, table, date_from, date_to, area_id):
    if table == "compliance":
        return sources.compliance_by_grid(user, date_from, date_to, area_id)
    if table == "incidents":
        return sources.incident_indicators(user, date_from, date_to, area_id)
    return sources.visits_by_category(user, date_from, date_to, area_id)


def export_table(user, table, fmt, date_from, date_to, area_id=None):
    """One statistics table (compliance per grid, incidents per category, visits per category) as CSV or XLSX."""
    require_role(user, *roles.STAFF)
    _check_range(date_from, date_to)
    title, columns = TABLES[table]
    rows = _rows(user, table, date_from, date_to, area_id)
    _audit(user, table, fmt, {"from": str(date_from), "to": str(date_to), "area_id": area_id})
    name = f"{table}-{date_from}-{date_to}"
    return table_response(fmt, rows, columns, name, sheet_name=title, title=f"{title} {date_from} 至 {date_to}")


def export_workbook(user, date_from, date_to, area_id=None):
    """The three tables in one workbook, one sheet each."""
    require_role(user, *roles.STAFF)
    _check_range(date_from, date_to)
    sheets = []
    for table, (title, columns) in TABLES.items():
        rows = _rows(user, table, date_from, date_to, area_id)
        sheets.append((title, columns, rows, f"{title} {date_from} 至 {date_to}"))
    _audit(user, "workbook", "xlsx", {"from": str(date_from), "to": str(date_to), "area_id": area_id})
    return xlsx_response(sheets, f"statistics-{date_from}-{date_to}")


_TRACK_POINTS = text(f"""
SELECT p.id::text AS patrol_id, a.code AS grid_code, p.shift, p.local_date,
       ST_X(t.geom) AS lon, ST_Y(t.geom) AS lat, t.fix_time
FROM {PATROL_DAYS} p
JOIN area a ON a.id = p.grid_id
JOIN {CLEAN_FIXES} t ON t.patrol_id = p.id
 AND t.fix_time >= :start - interval '1 day' AND t.fix_time < :end + interval '1 day'
WHERE p.local_date = :day
  AND a.code LIKE :prefix || '%'
  AND (CAST(:grid_ids AS int[]) IS NULL OR a.id = ANY(CAST(:grid_ids AS int[])))
  AND (CAST(:worker_id AS int) IS NULL OR p.worker_id = CAST(:worker_id AS int))
  AND (CAST(:grid_id AS int) IS NULL OR p.grid_id = CAST(:grid_id AS int))
ORDER BY p.started_at, p.id, t.fix_time
""")


def _gpx(rows):
    yield '<?xml version="1.0" encoding="UTF-8"?>\n'
    yield '<gpx version="1.1" creator="GridPatrol" xmlns="http://www.topografix.com/GPX/1/1">\n'
    current = None
    for row in rows:
        if row.patrol_id != current:
            if current is not None:
                yield "</trkseg></trk>\n"
            current = row.patrol_id
            name = escape(f"{row.grid_code} {row.local_date} {row.shift}")
            yield f"<trk><name>{name}</name><desc>{row.patrol_id}</desc><trkseg>\n"
        stamp = row.fix_time.strftime("%Y-%m-%dT%H:%M:%SZ")
        yield f'<trkpt lat="{row.lat:.7f}" lon="{row.lon:.7f}"><time>{stamp}</time></trkpt>\n'
    if current is not None:
        yield "</trkseg></trk>\n"
    yield "</gpx>\n"


def export_tracks_gpx(user, day=None, grid_id=None):
    """The day's patrol tracks (clean fixes) as GPX 1.1, one <trk> per patrol."""
    require_track_reader(user)
    scope = maps.map_scope(user)
    day = day or today()
    params = {
        **scope.params(),
        "day": day,
        "grid_id": grid_id,
        "start": local_midnight(day),
        "end": local_midnight(day + timedelta(days=1)),
    }
    rows = db.session.execute(_TRACK_POINTS, params).all()
    _audit(user, "tracks", "gpx", {"date": str(day), "grid_id": grid_id})
    return Response(
        "".join(_gpx(rows)),
        mimetype="application/gpx+xml",
        headers={"Content-Disposition": f'attachment; filename="tracks-{day}.gpx"'},
    )


LAYERS = {"grids": "grids", "tracks": "patrols", "incidents": "incidents"}


def export_layer(user, layer, day=None):
    """A map layer of the day as one GeoJSON FeatureCollection (no personal data)."""
    collection = LAYERS[layer]
    if collection == "patrols":
        require_track_reader(user)
    scope = maps.map_scope(user)
    day = day or today()
    params = {**scope.params(), **maps.parse_bbox(None), "limit": 100000, "offset": 0}
    if maps.COLLECTIONS[collection]["time"]:
        params.update(
            t_start=local_midnight(day), t_end=local_midnight(day + timedelta(days=1)) - timedelta(microseconds=1)
        )
    else:
        params.update(t_start=None, t_end=None)
    rows = db.session.execute(maps.items_sql(collection), params).mappings().all()
    _audit(user, layer, "geojson", {"date": str(day)})
    body = {
        "type": "FeatureCollection",
        "name": f"{layer}-{day}",
        "features": [maps.feature(collection, r) for r in rows],
    }
    return Response(
        json.dumps(body, ensure_ascii=False),
        mimetype="application/geo+json",
        headers={"Content-Disposition": f'attachment; filename="{layer}-{day}.geojson"'},
    )
