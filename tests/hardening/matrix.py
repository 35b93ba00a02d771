"""The access-control matrix: for every operation of the OpenAPI document, who may call it and how.

An entry names the roles allowed in their own scope and builds the request for a scope
(`s`: tests.hardening.world.Scope). Path parameters are filled from the scope by name.
Every caller except the unbound admin owns scope A and not scope B.
"""

import math
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from patrol.localtime import today
from tests.conftest import DEMO_PASSWORD
from tests.hardening.world import GRID_A, GRID_B, POINT_A, POINT_B, jpeg

ALL = ("worker", "community_admin", "street_reviewer", "department", "admin")
STAFF = ("community_admin", "street_reviewer", "admin")
REVIEW = ("street_reviewer", "admin")
TRACKS = ("worker", *STAFF)


@dataclass
class Op:
    """Who may call an operation (roles; "anonymous" for public ones) and the request for a scope."""

    roles: tuple
    query: object = None  # s -> dict
    body: object = None  # s -> JSON body
    files: object = None  # s -> (field bytes, filename)
    params: object = None  # s -> dict of extra path parameters
    fresh: bool = False  # the call ends the session: sign in anew for it
    scoped: bool = True  # the request names a record or area of the scope
    key: bool = False  # authenticated by something else than a bearer token (device key)
    page: bool = False  # a static page: 200, or 404 when its bundle is not built
    setup: object = None  # (admin ApiClient, s) -> None, run before each call (e.g. re-create what it deletes)


def _now():
    return datetime.now(UTC)


def _days(n):
    return (today() - timedelta(days=n)).isoformat()


def _range(s):
    return {"from": _days(7), "to": _days(0)}


def _grid_code(s):
    return GRID_A if s.name == "A" else GRID_B


def _lonlat(s):
    return POINT_A if s.name == "A" else POINT_B


def _point(s):
    return {"type": "Point", "coordinates": list(_lonlat(s))}


def tile_of(lon, lat, z=15):
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return {"z": z, "x": x, "y": y}


def _other_street(s):
    """No filter for the caller's own street; street B named explicitly."""
    return {} if s.name == "A" else {"street_id": s["area"]}


def _gpx(s):
    lon, lat = _lonlat(s)
    start = _now() - timedelta(hours=3)
    pts = "".join(
        f'<trkpt lat="{lat + i * 0.0001}" lon="{lon}"><time>{(start + timedelta(seconds=10 * i)).isoformat()}</time>'
        "</trkpt>"
        for i in range(30)
    )
    return f'<?xml version="1.0"?><gpx version="1.1" creator="t"><trk><trkseg>{pts}</trkseg></trk></gpx>'.encode()


def _new_grid_import(s):
    # Overlaps the scope's own grid: the import is refused (422) after the role check.
    lon, lat = _lonlat(s)
    ring = [
        [lon - 0.001, lat - 0.001],
        [lon + 0.001, lat - 0.001],
        [lon + 0.001, lat + 0.001],
        [lon - 0.001, lat - 0.001],
    ]
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"code": _grid_code(s)[:12] + "099", "name": "重叠网格"},
                "geometry": {"type": "Polygon", "coordinates": [ring]},
            }
        ],
    }


def _xlsx_ledger(s):
    import io

    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["姓名", "身份证号"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


MATRIX = {
    "GET /api/v1/health": Op(("anonymous", *ALL), scoped=False),
    "GET /api/v1/ready": Op(("anonymous", *ALL), scoped=False),
    "POST /api/v1/auth/login": Op(
        ("anonymous", *ALL), body=lambda s: {"username": "demo-worker", "password": DEMO_PASSWORD}, scoped=False
    ),
    "POST /api/v1/auth/logout": Op(ALL, fresh=True, scoped=False),
    "GET /api/v1/auth/me": Op(ALL, scoped=False),
    # Changing the password revokes every token of the user: the test signs everyone in again after it.
    "POST /api/v1/auth/password": Op(
        ALL, body=lambda s: {"current_password": DEMO_PASSWORD, "new_password": DEMO_PASSWORD}, fresh=True, scoped=False
    ),
    "GET /api/v1/users": Op(STAFF, query=lambda s: {"role": "worker"}, scoped=False),
    "POST /api/v1/users": Op(
        STAFF,
        body=lambda s: {
            "username": f"u{uuid.uuid4().hex[:10]}",
            "password": "long-enough-password",
            "full_name": "新网格员",
            "role": "worker",
            "area_code": _grid_code(s)[:12],
        },
    ),
    "GET /api/v1/users/{user_id}": Op(STAFF),
    "PATCH /api/v1/users/{user_id}": Op(STAFF, body=lambda s: {"active": True}),
    "GET /api/v1/areas": Op(ALL, query=lambda s: {"parent": _grid_code(s)[:12]}),
    "GET /api/v1/areas/{area_id}": Op(ALL, params=lambda s: {"area_id": s["grid"]}),
    "POST /api/v1/areas/import": Op(
        ("admin",), query=lambda s: {"level": "grid", "parent": _grid_code(s)[:12]}, body=_new_grid_import
    ),
    "GET /api/v1/areas/{grid_id}/assignments": Op(STAFF),
    "POST /api/v1/areas/{grid_id}/assignments": Op(
        STAFF, body=lambda s: {"worker_id": s["worker_user"], "start_date": _days(400), "end_date": _days(399)}
    ),
    "PATCH /api/v1/areas/{grid_id}/assignments/{assignment_id}": Op(STAFF, body=lambda s: {"end_date": "2099-12-31"}),
    "GET /api/v1/audit": Op(REVIEW, scoped=False),
    # Departments handle cases: they never read workers' tracks or per-worker compliance.
    "GET /api/v1/patrols": Op(TRACKS, query=lambda s: {"grid_id": s["grid"]}),
    "POST /api/v1/patrols": Op(
        ("worker",),
        body=lambda s: {
            "id": str(uuid.uuid4()),
            "grid_id": s["grid"],
            "started_at": (_now() - timedelta(minutes=2)).isoformat(),
        },
    ),
    "GET /api/v1/patrols/{patrol_id}": Op(TRACKS),
    "GET /api/v1/patrols/{patrol_id}.gpx": Op(TRACKS),
    "POST /api/v1/patrols/{patrol_id}/points": Op(
        ("worker",), body=lambda s: {"points": [[int(_now().timestamp() * 1000), *_lonlat(s), 5.0, 1.0, None]]}
    ),
    "POST /api/v1/patrols/{patrol_id}/finish": Op(("worker",), body=lambda s: {"ended_at": _now().isoformat()}),
    # The file names no record: its segments become patrols of the worker's own nearest grid.
    "POST /api/v1/patrols/import-gpx": Op(("worker",), files=lambda s: (_gpx(s), "track.gpx"), scoped=False),
    "GET /api/v1/patrols/tracker": Op(("worker",), scoped=False),
    "POST /api/v1/patrols/tracker": Op(("worker",), scoped=False),
    "DELETE /api/v1/patrols/tracker": Op(("worker",), scoped=False),
    "GET /api/v1/patrols/trackers": Op(STAFF, scoped=False),
    "GET /api/v1/patrols/rules/{area_id}": Op(ALL, params=lambda s: {"area_id": s["grid"]}),
    "PUT /api/v1/patrols/rules/{area_id}": Op(
        ("admin",), params=lambda s: {"area_id": s["area"]}, body=lambda s: {"min_duration_min": 30}
    ),
    "GET /api/v1/osmand": Op(
        ("anonymous", *ALL), query=lambda s: {"id": "no-such-key", "lat": 30.28, "lon": 120.12}, key=True
    ),
    "POST /api/v1/osmand": Op(
        ("anonymous", *ALL), query=lambda s: {"id": "no-such-key", "lat": 30.28, "lon": 120.12}, key=True
    ),
    "GET /api/v1/stats/patrols": Op(TRACKS, query=lambda s: {**_range(s), "area_id": s["grid"]}),
    "GET /api/v1/incidents": Op(ALL, query=lambda s: {"grid_id": s["grid"]}),
    "POST /api/v1/incidents": Op(
        ("worker", "community_admin", "street_reviewer", "admin"),
        body=lambda s: {"id": str(uuid.uuid4()), "location": _point(s), "category": "0602", "description": "矩阵"},
    ),
    "GET /api/v1/incidents/{incident_id}": Op(ALL),
    # Closing is the reviewers' move; a department (the incident is dispatched to it) may only start/resolve.
    "POST /api/v1/incidents/{incident_id}/actions": Op(REVIEW, body=lambda s: {"action": "close"}),
    "GET /api/v1/incidents/categories": Op(ALL, scoped=False),
    "POST /api/v1/incidents/categories": Op(("admin",), body=lambda s: {"code": "0602", "name": "重复"}, scoped=False),
    "PATCH /api/v1/incidents/categories/{category_id}": Op(
        ("admin",), params=lambda s: {"category_id": 1}, body=lambda s: {"sort": 5}, scoped=False
    ),
    "GET /api/v1/incidents/departments": Op(ALL, query=None),
    "POST /api/v1/incidents/departments": Op(
        ("admin",), body=lambda s: {"street_code": _grid_code(s)[:9], "code": "chengguan", "name": "重复"}
    ),
    "PATCH /api/v1/incidents/departments/{department_id}": Op(("admin",), body=lambda s: {"phone": "0571-1234567"}),
    "GET /api/v1/incidents/holidays": Op(ALL, scoped=False),
    "PUT /api/v1/incidents/holidays/{day}": Op(
        ("admin",), params=lambda s: {"day": "2031-10-01"}, body=lambda s: {"name": "国庆"}, scoped=False
    ),
    "DELETE /api/v1/incidents/holidays/{day}": Op(("admin",), params=lambda s: {"day": "2031-10-01"}, scoped=False),
    "GET /api/v1/stats/incidents": Op(
        ("community_admin", "street_reviewer", "department", "admin"),
        query=lambda s: {**_range(s), "area_id": s["grid"]},
    ),
    "POST /api/v1/photos": Op(ALL, files=lambda s: (jpeg((10, 200, 10)), "p.jpg"), scoped=False),
    "GET /api/v1/photos/{photo_id}": Op(ALL),
    "GET /api/v1/people": Op(("worker", *STAFF), query=lambda s: {"area_id": s["grid"]}),
    "POST /api/v1/people": Op(
        STAFF,
        body=lambda s: {
            "name": "矩阵人员",
            "id_number": "33010619800101999X" if s.name == "A" else "330106198001019981",
            "location": _point(s),
            "categories": [{"category": "elderly_alone", "extra": {"living": "独居"}}],
        },
    ),
    "GET /api/v1/people/categories": Op(("worker", *STAFF), scoped=False),
    "GET /api/v1/people/duplicates": Op(REVIEW, scoped=False),
    "POST /api/v1/people/duplicates/{duplicate_id}/resolve": Op(REVIEW, body=lambda s: {"resolution": "keep_both"}),
    "GET /api/v1/people/{person_id}": Op(("worker", *STAFF)),
    "PATCH /api/v1/people/{person_id}": Op(STAFF, body=lambda s: {"notes": "矩阵"}),
    "POST /api/v1/people/{person_id}/reveal": Op(STAFF, body=lambda s: {"reason": "矩阵核对"}),
    "GET /api/v1/people/{person_id}/visits": Op(("worker", *STAFF)),
    # A blank workbook with the column headers: no data in it.
    "GET /api/v1/people/import-template": Op(("worker", *STAFF), scoped=False),
    "POST /api/v1/people/import": Op(
        STAFF, query=lambda s: {"dry_run": "true"}, files=lambda s: (_xlsx_ledger(s), "l.xlsx"), scoped=False
    ),
    "GET /api/v1/visits": Op(("worker", *STAFF), query=lambda s: {"person_id": s["person"]}),
    "POST /api/v1/visits": Op(
        ("worker", *STAFF),
        body=lambda s: {
            "id": str(uuid.uuid4()),
            "person_id": s["person"],
            "visited_at": _now().isoformat(),
            "method": "电话",
            "condition": "正常",
        },
    ),
    "GET /api/v1/visits/{visit_id}": Op(("worker", *STAFF)),
    "GET /api/v1/visits/due": Op(("worker", *STAFF), query=lambda s: {"area_id": s["grid"]}),
    "GET /api/v1/visits/intervals": Op(("worker", *STAFF), scoped=False),
    "PUT /api/v1/visits/intervals": Op(
        ("admin",),
        body=lambda s: {"intervals": [{"category": "elderly_alone", "attention_level": 1, "days": 30}]},
        scoped=False,
    ),
    "GET /api/v1/stats/visits": Op(("worker", *STAFF), query=lambda s: {**_range(s), "area_id": s["grid"]}),
    "GET /api/v1/tasks/duty-list": Op(ALL, query=lambda s: _other_street(s)),
    "GET /api/v1/tasks/duty-list/history": Op(ALL, query=lambda s: _other_street(s)),
    "PUT /api/v1/tasks/duty-list/{code}": Op(
        REVIEW,
        params=lambda s: {"code": "rental_check"},
        query=lambda s: {"street_id": s["area"]},
        body=lambda s: {"name": "出租房检查", "minutes": 20},
    ),
    "DELETE /api/v1/tasks/duty-list/{code}": Op(
        REVIEW,
        params=lambda s: {"code": "rental_check"},
        query=lambda s: {"street_id": s["area"]},
        setup=lambda admin, s: admin.put(
            f"/api/v1/tasks/duty-list/rental_check?street_id={s['area']}", json={"name": "出租房检查", "minutes": 20}
        ),
    ),
    "GET /api/v1/tasks": Op(ALL, query=lambda s: _other_street(s)),
    "POST /api/v1/tasks": Op(
        ("department", "street_reviewer", "admin"),
        body=lambda s: {
            "id": str(uuid.uuid4()),
            "type": "fire_check",
            "grid_ids": [s["grid"]],
            "due_date": (today() + timedelta(days=5)).isoformat(),
        },
    ),
    "GET /api/v1/tasks/{task_id}": Op(ALL),
    "POST /api/v1/tasks/{task_id}/decision": Op(REVIEW, body=lambda s: {"approve": True}),
    "GET /api/v1/tasks/items": Op(("worker",), scoped=False),
    "POST /api/v1/tasks/items/{item_id}/complete": Op(("worker",), body=lambda s: {"id": str(uuid.uuid4())}),
    "PUT /api/v1/tasks/budgets/{worker_id}": Op(
        REVIEW, params=lambda s: {"worker_id": s["worker_user"]}, body=lambda s: {"weekly_minutes": 600}
    ),
    "GET /api/v1/tasks/ledger": Op(ALL, query=lambda s: {**_range(s), "grid_id": s["grid"]}),
    "GET /api/v1/tasks/ledger/summary": Op(ALL, query=lambda s: {**_range(s), "grid_id": s["grid"]}),
    "GET /api/v1/tasks/key-places": Op(ALL, query=lambda s: {"grid_id": s["grid"]}),
    "POST /api/v1/tasks/key-places": Op(
        STAFF, body=lambda s: {"name": "矩阵地点", "category": "school", "geometry": _point(s)}
    ),
    "PATCH /api/v1/tasks/key-places/{place_id}": Op(
        STAFF, params=lambda s: {"place_id": s["key_place"]}, body=lambda s: {"check_every_days": 7}
    ),
    "POST /api/v1/tasks/key-places/{place_id}/notes": Op(
        ("worker",),
        params=lambda s: {"place_id": s["key_place"]},
        body=lambda s: {"id": str(uuid.uuid4()), "note": "正常"},
    ),
    "GET /api/v1/tasks/key-places/status": Op(ALL, query=lambda s: {**_range(s), "grid_id": s["grid"]}),
    "GET /api/v1/tasks/key-places/missed": Op(ALL, query=lambda s: {"grid_id": s["grid"]}),
    # A department takes part in joint patrols of its street.
    "GET /api/v1/tasks/patrols/{patrol_id}/participants": Op(ALL),
    "PUT /api/v1/tasks/patrols/{patrol_id}/participants": Op(
        ("worker",), body=lambda s: {"participants": [{"kind": "volunteer", "name": "志愿者"}]}
    ),
    "GET /api/v1/tasks/joint-patrols": Op(("worker", *STAFF), query=lambda s: {**_range(s), "grid_id": s["grid"]}),
    # The phone's channel, for every role; each operation checks its own role (department: rejected op).
    "POST /api/v1/sync/push": Op(
        ALL,
        body=lambda s: {
            "operations": [
                {
                    "op_id": str(uuid.uuid4()),
                    "op": "incident.report",
                    "payload": {"id": str(uuid.uuid4()), "location": _point(s), "category": "0602"},
                }
            ]
        },
        scoped=False,
    ),
    "GET /api/v1/sync/pull": Op(ALL, scoped=False),
    "GET /api/v1/tiles/{layer}/{z}/{x}/{y}.mvt": Op(
        ALL, params=lambda s: {"layer": "incidents", **tile_of(*_lonlat(s))}
    ),
    "GET /ogc": Op(ALL, scoped=False),
    "GET /ogc/conformance": Op(ALL, scoped=False),
    "GET /ogc/collections": Op(ALL, scoped=False),
    "GET /ogc/collections/{collection_id}": Op(ALL, params=lambda s: {"collection_id": "incidents"}, scoped=False),
    "GET /ogc/collections/{collection_id}/items": Op(
        ALL, params=lambda s: {"collection_id": "incidents"}, query=lambda s: {"limit": 1000}, scoped=False
    ),
    "GET /ogc/collections/{collection_id}/items/{feature_id}": Op(
        ALL, params=lambda s: {"collection_id": "incidents", "feature_id": s["incident"]}
    ),
    "GET /api/v1/reports/{period}": Op(
        (*STAFF, "department"), params=lambda s: {"period": "week"}, query=lambda s: {"area_id": s["community"]}
    ),
    "GET /api/v1/exports/{table}": Op(
        STAFF,
        params=lambda s: {"table": "incidents"},
        query=lambda s: {**_range(s), "area_id": s["grid"], "format": "csv"},
    ),
    "GET /api/v1/exports/workbook.xlsx": Op(STAFF, query=lambda s: {**_range(s), "area_id": s["grid"]}),
    # A worker exports the tracks of their own grids.
    "GET /api/v1/exports/tracks.gpx": Op(("worker", *STAFF), query=lambda s: {"grid_id": s["grid"]}),
    "GET /api/v1/exports/layers/{layer}.geojson": Op(ALL, params=lambda s: {"layer": "incidents"}, scoped=False),
    # The review page's data: departments see their street's map and figures too.
    "GET /api/v1/review/context": Op((*STAFF, "department"), scoped=False),
    "GET /api/v1/review/dashboard": Op((*STAFF, "department"), query=lambda s: {"area_id": s["grid"]}),
    "GET /api/v1/review/grids/{grid_id}/day": Op((*STAFF, "department")),
    "GET /api/v1/review/patrols/{patrol_id}/replay": Op(STAFF),
    "GET /api/v1/review/overdue-people": Op(STAFF, query=lambda s: {"area_id": s["grid"]}),
    # Open311: the admin issues upstream clients; the street sees and retries deliveries, reveals a caller.
    "GET /api/v1/open311/clients": Op(("admin",), scoped=False),
    "POST /api/v1/open311/clients": Op(
        ("admin",),
        body=lambda s: {"name": f"热线{uuid.uuid4().hex[:8]}", "callback_url": "http://127.0.0.1:9/cb"},
        scoped=False,
    ),
    "PATCH /api/v1/open311/clients/{client_id}": Op(
        ("admin",),
        params=lambda s: {"client_id": 1},
        body=lambda s: {"minutes_per_order": 20},
        scoped=False,
        setup=lambda admin, s: admin.post("/api/v1/open311/clients", json={"name": "矩阵热线"}),
    ),
    "GET /api/v1/open311/deliveries": Op(REVIEW, scoped=False),
    # Unknown ids are refused (422) after the role check; nothing to retry exists in the world.
    "POST /api/v1/open311/deliveries/retry": Op(REVIEW, body=lambda s: {"ids": [1]}, scoped=False),
    # The world's incidents are not upstream orders: 409 in scope, 404 out of it.
    "POST /api/v1/open311/requests/{incident_id}/reveal-contact": Op(REVIEW, body=lambda s: {"reason": "回访"}),
    "GET /review/{path}": Op(("anonymous", *ALL), params=lambda s: {"path": "index.html"}, scoped=False, page=True),
    "GET /review/": Op(("anonymous", *ALL), scoped=False, page=True),
}

# Path parameters filled from the scope's records when an entry does not name them.
PATH_IDS = {
    "patrol_id": "patrol",
    "incident_id": "incident",
    "photo_id": "photo",
    "person_id": "person",
    "duplicate_id": "duplicate",
    "visit_id": "visit",
    "task_id": "task",
    "item_id": "task_item",
    "grid_id": "grid",
    "user_id": "peer_user",
    "assignment_id": "assignment",
    "department_id": "department",
}
