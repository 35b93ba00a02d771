"""Access-control matrix from the OpenAPI document: every operation × role × a record in and out of scope.

Every caller except the unbound admin owns scope A (the demo street) and not scope B (a second
street). In scope, an allowed role gets a 2xx or a 4xx that is not 401/403/404; a role the
matrix does not allow gets 401 (anonymous) or 403/404; out of scope the answer is 403/404, or
for list filters an answer without B's rows. No answer to anyone but the admin holds B's data.
"""

import io
import json
import re
import zipfile
from urllib.parse import urlencode

import mapbox_vector_tile
import pytest
from openpyxl import load_workbook

from patrol import messages
from tests.conftest import ApiClient
from tests.hardening.matrix import MATRIX, PATH_IDS, tile_of
from tests.hardening.world import MARKER_B, ROLE_USERS, STREET_B, build_world

METHODS = ("get", "post", "put", "patch", "delete")
ROLES = ("anonymous", "worker", "community_admin", "street_reviewer", "department", "admin")
ERROR_KEYS = {"code", "status", "message", "errors"}


def spec_operations(client):
    spec = client.get("/api/openapi.json").get_json()
    return {f"{m.upper()} {path}" for path, ops in spec["paths"].items() for m in ops if m in METHODS}


def test_matrix_names_exactly_the_operations_of_the_spec(client):
    operations = spec_operations(client)
    missing = sorted(operations - set(MATRIX))
    stale = sorted(set(MATRIX) - operations)
    assert not missing, f"operations without access expectations in tests/hardening/matrix.py: {missing}"
    assert not stale, f"matrix entries for operations the API no longer has: {stale}"


def _path(template, op, scope):
    params = op.params(scope) if op.params else {}
    for name in re.findall(r"{(\w+)}", template):
        if name not in params:
            params[name] = scope[PATH_IDS[name]]
    return re.sub(r"{(\w+)}", lambda m: str(params[m.group(1)]), template)


def _request(client, key, op, scope, token):
    method, template = key.split(" ", 1)
    url = _path(template, op, scope)
    if op.query:
        url += "?" + urlencode(op.query(scope))
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    body = None
    kwargs = {"headers": headers}
    if op.files:
        data, name = op.files(scope)
        kwargs["data"] = {"file": (io.BytesIO(data), name)}
        kwargs["content_type"] = "multipart/form-data"
    elif op.body:
        kwargs["json"] = body = op.body(scope)
    response = getattr(client, method.lower())(url, **kwargs)
    response.get_data()  # consume streamed bodies inside the test
    response.close()
    return url, response, url + (json.dumps(body) if op.body and not op.files else "")


def leak_markers(scope_b):
    """Strings only scope B's data contains: the marker, its area codes, its record ids."""
    ids = [str(v) for k, v in scope_b.ids.items() if isinstance(v, str)]
    return [MARKER_B, STREET_B, *ids]


def body_text(response):
    """The response as searchable text: tiles and workbooks decoded."""
    data = response.get_data()
    kind = response.headers.get("Content-Type", "")
    if "mapbox-vector-tile" in kind or response.request.path.endswith(".mvt"):
        return repr(mapbox_vector_tile.decode(data)) if data else ""
    if data[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if any(n.startswith("xl/") for n in archive.namelist()):
                book = load_workbook(io.BytesIO(data), read_only=True)
                cells = [str(c) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for c in row]
                book.close()
                return "\n".join(cells)
            return "\n".join(archive.read(n).decode("utf-8", "replace") for n in archive.namelist())
    return data.decode("utf-8", "replace")


def tile_features(response):
    data = response.get_data()
    if response.status_code != 200 or not data:
        return 0
    return sum(len(layer["features"]) for layer in mapbox_vector_tile.decode(data).values())


class Verdicts:
    """Failures collected over the whole matrix, reported together."""

    def __init__(self):
        self.failures = []

    def check(self, ok, key, role, scope, url, response, why):
        if not ok:
            text = response.get_data().decode("utf-8", "replace")[:200].replace("\n", " ")
            self.failures.append(f"{key} as {role} ({scope.name}: {url}) → {response.status_code}: {why} | {text}")


def _error_shape_ok(response):
    if response.status_code < 400 or not response.headers.get("Content-Type", "").startswith("application/json"):
        return True
    body = response.get_json(silent=True)
    return (
        isinstance(body, dict)
        and set(body) == ERROR_KEYS
        and body["status"] == response.status_code
        and body["code"] in messages.catalogue("en")
        and not messages.is_bilingual(body["message"])
    )


def _judge(v, key, op, role, scope, url, response, a_url, sent):
    status = response.status_code
    v.check(status < 500, key, role, scope, url, response, "server error")
    v.check(_error_shape_ok(response), key, role, scope, url, response, "error not in the one shape")
    if role != "admin":
        text = body_text(response) if status < 300 else response.get_data().decode("utf-8", "replace")
        leaked = [m for m in leak_markers(v.b) if m in text and m not in sent]
        v.check(not leaked, key, role, scope, url, response, f"LEAK of scope B: {leaked}")
        if url.endswith(".mvt") and scope.name == "B":
            v.check(tile_features(response) == 0, key, role, scope, url, response, "LEAK: features in B's tile")
    if op.key:
        return
    if op.page:
        v.check(status == 200 or status == 404, key, role, scope, url, response, "page: 200 (or 404 unbuilt)")
        return
    allowed = role in op.roles
    in_scope = scope.name == "A" or role == "admin" or not op.scoped
    if role == "anonymous" and not allowed:
        v.check(status == 401, key, role, scope, url, response, "anonymous must get 401")
    elif not allowed:
        v.check(status in (403, 404), key, role, scope, url, response, "role not allowed: expected 403/404")
    elif in_scope:
        v.check(status < 400 or status not in (401, 403, 404), key, role, scope, url, response, "allowed role refused")
    elif url.split("?")[0] != a_url.split("?")[0] and not url.endswith(".mvt"):
        v.check(status in (403, 404), key, role, scope, url, response, "record out of scope: expected 403/404")
    elif key.startswith("GET"):
        v.check(status < 300 or status in (403, 404), key, role, scope, url, response, "filter out of scope")
    else:
        v.check(400 <= status < 500, key, role, scope, url, response, "write into scope B accepted")


@pytest.fixture
def world(demo, login, client):
    users, a, b, far = build_world(login)
    return users, a, b


def test_access_matrix(world, client, login):
    users, a, b = world
    v = Verdicts()
    v.b = b
    tokens = {role: (api.headers["Authorization"].split()[1]) for role, api in users.items()}
    for key, op in MATRIX.items():
        for role in ROLES:
            a_url = None
            for scope in (a, b) if op.scoped else (a,):
                token = None
                if role != "anonymous":
                    token = login(ROLE_USERS[role]).headers["Authorization"].split()[1] if op.fresh else tokens[role]
                if op.setup:
                    op.setup(ApiClient(client, tokens["admin"]), scope)
                url, response, sent = _request(client, key, op, scope, token)
                a_url = a_url or url
                _judge(v, key, op, role, scope, url, response, a_url, sent)
        if op.fresh:
            tokens = {role: login(name).headers["Authorization"].split()[1] for role, name in ROLE_USERS.items()}
    assert not v.failures, f"{len(v.failures)} access-matrix failures:\n" + "\n".join(v.failures)


def _leaks(response, b):
    text = body_text(response) if response.status_code < 300 else response.get_data().decode("utf-8", "replace")
    return [m for m in leak_markers(b) if m in text]


def test_no_leaks_through_tiles_ogc_exports_photos_and_pull(world, client):
    users, a, b = world
    ogc = client.get("/ogc/collections", headers=users["admin"].headers).get_json()
    collections = [c["id"] for c in ogc["collections"]]
    urls = []
    lon, lat = 120.1425, 30.283  # between both streets: at z 10-12 one tile holds A and B
    for layer in ("grids", "tracks", "incidents"):
        for z in (10, 12, 15):
            for spot in ((lon, lat), (120.163, 30.283)):
                t = tile_of(*spot, z=z)
                urls.append(f"/api/v1/tiles/{layer}/{t['z']}/{t['x']}/{t['y']}.mvt")
    urls += [f"/ogc/collections/{c}/items?limit=1000" for c in collections]
    urls += [f"/ogc/collections/{c}/items?bbox=120.15,30.27,120.17,30.29&limit=1000" for c in collections]
    day_range = f"from={today_minus(7)}&to={today_minus(0)}"
    for table in ("compliance", "incidents", "visits"):
        for fmt in ("csv", "xlsx"):
            urls.append(f"/api/v1/exports/{table}?{day_range}&format={fmt}")
            urls.append(f"/api/v1/exports/{table}?{day_range}&format={fmt}&area_id={b['area']}")
    for fmt in ("csv", "xlsx"):
        urls.append(f"/api/v1/stats/patrols?{day_range}&format={fmt}")
        urls.append(f"/api/v1/stats/incidents?{day_range}&format={fmt}")
        urls.append(f"/api/v1/stats/visits?{day_range}&format={fmt}")
        urls.append(f"/api/v1/people?format={fmt}")
        urls.append(f"/api/v1/tasks/ledger?{day_range}&format={fmt}")
    urls += [f"/api/v1/exports/workbook.xlsx?{day_range}", "/api/v1/exports/tracks.gpx"]
    urls += [f"/api/v1/exports/layers/{layer}.geojson" for layer in ("grids", "tracks", "incidents")]
    urls += ["/api/v1/sync/pull", "/api/v1/incidents?limit=200", "/api/v1/people", "/api/v1/visits", "/api/v1/patrols"]
    urls += [f"/api/v1/incidents?grid_id={b['grid']}", f"/api/v1/patrols?grid_id={b['grid']}"]
    urls += [f"/api/v1/people?area_id={b['grid']}", f"/api/v1/visits?person_id={b['person']}"]
    urls += [f"/api/v1/photos/{b['photo']}", f"/api/v1/photos/{b['photo']}?size=thumb", "/api/v1/review/context"]
    urls += ["/api/v1/tasks/items?include_done=true", "/api/v1/tasks/key-places", "/api/v1/users", "/api/v1/areas"]
    urls += ["/api/v1/audit", f"/api/v1/review/dashboard?area_id={b['area']}", "/api/v1/review/overdue-people"]
    failures = []
    for role, api in users.items():
        if role == "admin":
            continue
        for url in urls:
            response = client.get(url, headers=api.headers)
            response.get_data()
            if response.status_code >= 500 or _leaks(response, b):
                failures.append(f"{role} GET {url} → {response.status_code} leaks {_leaks(response, b)}")
            response.close()
    # The checks can see B's data at all: the admin's answers hold it.
    admin = users["admin"]
    seen = admin.get("/ogc/collections/incidents/items?limit=1000")
    assert b["incident"] in seen.get_data(as_text=True)
    photo = admin.get(f"/api/v1/photos/{b['photo']}")
    assert photo.status_code == 200 and photo.get_data()[:2] == b"\xff\xd8"
    assert MARKER_B in body_text(admin.get(f"/api/v1/exports/workbook.xlsx?{day_range}&area_id={b['area']}"))
    assert not failures, "\n".join(failures)


def today_minus(days):
    from datetime import timedelta

    from patrol.localtime import today

    return (today() - timedelta(days=days)).isoformat()
