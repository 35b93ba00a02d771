"""SQL behind the OGC API - Features collections: scoped, bbox/datetime filtered, offset paged, no personal data."""

from sqlalchemy import text

from patrol.patrols.published import PATROL_DAYS

_BBOX = "(NOT :has_bbox OR {geom} && ST_MakeEnvelope(:minx, :miny, :maxx, :maxy, 4326))"
_TIME = "(CAST(:t_start AS timestamptz) IS NULL OR {at} >= CAST(:t_start AS timestamptz))" \
    " AND (CAST(:t_end AS timestamptz) IS NULL OR {at} <= CAST(:t_end AS timestamptz))"  # fmt: skip
_GRID_SCOPE = (
    "a.level = 'grid' AND a.code LIKE :prefix || '%'"
    " AND (CAST(:grid_ids AS int[]) IS NULL OR a.id = ANY(CAST(:grid_ids AS int[])))"
)

# Each collection: FROM/WHERE body, the selected properties, the id expression, the order and the extent columns.
COLLECTIONS = {
    "grids": {
        "title": "网格 / grids",
        "description": "网格边界与户数 / grid boundaries and households",
        "from": (
            f"FROM area a LEFT JOIN area c ON c.id = a.parent_id WHERE {_GRID_SCOPE} AND {_BBOX.format(geom='a.geom')}"
        ),
        "id": "a.code",
        "select": "a.code, a.name, c.code AS community_code, c.name AS community_name, a.households",
        "geom": "a.geom",
        "order": "a.code",
        "time": None,
    },
    "incidents": {
        "title": "事件 / incidents",
        "description": "上报事件的位置、类别与处置状态（不含描述与人员信息） / incident location, category, status",
        "from": (
            "FROM incident i JOIN area a ON a.id = i.grid_id JOIN incident_category k ON k.id = i.category_id"
            " WHERE a.code LIKE :prefix || '%'"
            " AND (CAST(:grid_ids AS int[]) IS NULL OR a.id = ANY(CAST(:grid_ids AS int[]))"
            " OR i.reporter_id = CAST(:worker_id AS int))"
            " AND i.merged_into IS NULL"
            " AND (CAST(:department_id AS int) IS NULL OR i.department_id = CAST(:department_id AS int))"
            f" AND {_BBOX.format(geom='i.location')} AND {_TIME.format(at='i.reported_at')}"
        ),
        "id": "i.id::text",
        "select": (
            "i.grid_code, k.code AS category, k.name AS category_name, i.status, i.source, i.reported_at,"
            " i.due_at, i.closed_at,"
            " (i.status IN ('dispatched', 'in_progress', 'resolved') AND i.due_at < now()) AS overdue"
        ),
        "geom": "i.location",
        "order": "i.reported_at, i.id",
        "time": "i.reported_at",
    },
    "patrols": {
        "title": "巡查 / patrols",
        "description": "巡查轨迹与核定指标（不含人员信息） / patrol tracks and their figures, no personal data",
        "from": (
            f"FROM {PATROL_DAYS} p JOIN area a ON a.id = p.grid_id"
            f" WHERE {_GRID_SCOPE} AND (CAST(:worker_id AS int) IS NULL OR p.worker_id = CAST(:worker_id AS int))"
            f" AND {_BBOX.format(geom='p.track')} AND {_TIME.format(at='p.started_at')}"
        ),
        "id": "p.id::text",
        "select": (
            "a.code AS grid_code, p.local_date, p.shift, p.source, p.started_at, p.ended_at,"
            " round(p.distance_m::numeric, 1)::float AS distance_m, p.duration_s,"
            " round(p.inside_share::numeric, 4)::float AS inside_share,"
            " round(p.coverage::numeric, 4)::float AS coverage, p.valid, p.invalid_reasons"
        ),
        "geom": "p.track",
        "order": "p.started_at, p.id",
        "time": "p.started_at",
    },
}


def items_sql(name):
    """Page of features: id, properties as columns and the geometry as GeoJSON text."""
    c = COLLECTIONS[name]
    return text(
        f"SELECT {c['id']} AS fid, {c['select']}, ST_AsGeoJSON({c['geom']}, 7) AS geometry"
        f" {c['from']} ORDER BY {c['order']} LIMIT :limit OFFSET :offset"
    )


def one_sql(name):
    """One feature by id, within the scope."""
    c = COLLECTIONS[name]
    return text(
        f"SELECT {c['id']} AS fid, {c['select']}, ST_AsGeoJSON({c['geom']}, 7) AS geometry"
        f" {c['from']} AND {c['id']} = :fid"
    )


def count_sql(name):
    """How many features match the filters (numberMatched)."""
    return text(f"SELECT count(*) {COLLECTIONS[name]['from']}")


def extent_sql(name):
    """Spatial and temporal extent of the collection in scope."""
    c = COLLECTIONS[name]
    lo, hi = (f"min({c['time']})", f"max({c['time']})") if c["time"] else ("NULL", "NULL")
    return text(
        "SELECT ST_XMin(e) AS minx, ST_YMin(e) AS miny, ST_XMax(e) AS maxx, ST_YMax(e) AS maxy, lo, hi"
        f" FROM (SELECT ST_Extent({c['geom']}) AS e, {lo} AS lo, {hi} AS hi {c['from']}) s"
    )
