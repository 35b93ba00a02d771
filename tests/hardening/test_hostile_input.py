"""Hand-written hostile input on top of the fuzzing: every answer a 4xx in the one error shape, nothing stored.

Injection strings are data: stored as text and returned unchanged as JSON. The pages that
render data forbid inline scripts through their Content-Security-Policy.
"""

import json
import os
import struct
import uuid
import zlib
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from patrol.extensions import db
from patrol.incidents import catalog
from tests.conftest import assert_error_shape
from tests.hardening.world import POINT_A, jpeg, upload_photo

HOSTILE = [
    "'; DROP TABLE incident; --",
    "1' OR '1'='1",
    '" OR 1=1 --',
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(document.cookie)>",
    "javascript:alert(1)",
    "{{7*7}} ${7*7} %s %n",
    "\u202e\u0000"[:1] + "反向文字",
    "🚨 emoji and 中文 and \\ backslash",
]
TABLES = ("incident", "person", "visit", "patrol", "track_point", "photo", "area", "key_place", "task")


def counts():
    return {t: db.session.execute(text(f"SELECT count(*) FROM {t}")).scalar() for t in TABLES}


@pytest.fixture
def worker(demo, login):
    catalog.seed_categories()
    return login("demo-worker")


@pytest.fixture
def staff(demo, login):
    return login("demo-street")


@pytest.fixture
def community(demo, login):
    return login("demo-community")


def point(lon_lat=POINT_A):
    return {"type": "Point", "coordinates": list(lon_lat)}


def refused(response):
    """A 4xx in the one error shape."""
    assert 400 <= response.status_code < 500, (response.status_code, response.get_data()[:300])
    return assert_error_shape(response, response.status_code)


def test_injection_strings_are_stored_as_text_and_returned_unchanged(worker, staff, community):
    for n, value in enumerate(HOSTILE):
        incident = worker.post(
            "/api/v1/incidents",
            json={"id": str(uuid.uuid4()), "location": point(), "category": "0602", "description": value},
        )
        assert incident.status_code == 201, incident.get_json()
        assert incident.headers["Content-Type"].startswith("application/json")
        again = worker.get(f"/api/v1/incidents/{incident.get_json()['id']}").get_json()
        assert again["description"] == value
        person = community.post(
            "/api/v1/people",
            json={
                "name": f"测试{n}",
                "id_number": _id_number(n + 1),
                "address": value,
                "notes": value,
                "location": point(),
                "categories": [{"category": "elderly_alone", "extra": {"living": "独居"}}],
            },
        )
        assert person.status_code == 201, person.get_json()
        stored = community.get(f"/api/v1/people/{person.get_json()['id']}").get_json()
        assert stored["notes"] == value
        visit = worker.post(
            "/api/v1/visits",
            json={
                "id": str(uuid.uuid4()),
                "person_id": person.get_json()["id"],
                "visited_at": datetime.now(UTC).isoformat(),
                "method": "入户",
                "condition": "正常",
                "note": value,
            },
        )
        assert visit.status_code == 201, visit.get_json()
        assert worker.get(f"/api/v1/visits/{visit.get_json()['id']}").get_json()["note"] == value
        place = staff.post(
            "/api/v1/tasks/key-places", json={"name": value[:50], "category": "school", "geometry": point()}
        )
        assert place.status_code == 201, place.get_json()
        assert place.get_json()["properties"]["name"] == value[:50]
        found = worker.get("/api/v1/incidents?limit=200")
        assert found.status_code == 200
    # Search parameters are bound, never spliced into SQL.
    for value in HOSTILE:
        listed = community.get("/api/v1/people", query_string={"q": value})
        assert listed.status_code in (200, 422), listed.get_data()[:200]
    assert counts()["incident"] == len(HOSTILE)


def _id_number(seq):
    from tests.people.helpers import id_number

    return id_number(seq=seq)


def test_pages_forbid_inline_scripts(client):
    for url in ("/app/", "/review/", "/api/docs", "/api/v1/health"):
        response = client.get(url)
        response.get_data()
        response.close()
        csp = response.headers.get("Content-Security-Policy", "")
        directives = dict((d.strip().split(" ", 1) + [""])[:2] for d in csp.split(";") if d.strip())
        scripts = directives.get("script-src", directives.get("default-src", ""))
        assert scripts and "'unsafe-inline'" not in scripts and "'unsafe-eval'" not in scripts, (url, csp)
        assert "frame-ancestors 'none'" in csp, (url, csp)


def _multipart(name, data, field="file"):
    boundary = "hostile-boundary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="{name}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return {"data": body, "content_type": f"multipart/form-data; boundary={boundary}"}


def test_path_traversal_in_photo_ids_and_file_names(worker, community, app):
    photo_dir = app.config["PHOTO_DIR"]
    for bad in (
        "../../etc/passwd",
        "..%2F..%2Fetc%2Fpasswd",
        "%2e%2e%2f%2e%2e%2fsecret",
        "a" * 64 + "/../x",
        "..",
        "0" * 63 + "/",
    ):
        response = worker.get(f"/api/v1/photos/{bad}")
        response.get_data()
        assert response.status_code in (400, 404, 422), (bad, response.status_code)
        if response.headers.get("Content-Type", "").startswith("application/json"):
            assert_error_shape(response, response.status_code)
    for bad in ("../" * 8 + "etc/passwd", "x/../../y"):
        response = worker.get(f"/api/v1/photos/{bad}")
        assert response.status_code in (400, 404, 422), bad
        response.get_data()
    parent = os.path.dirname(os.path.abspath(photo_dir))
    before = set(os.listdir(parent))
    evil = "../../evil-hardening.jpg"
    stored = worker.post("/api/v1/photos", **_multipart(evil, jpeg((1, 2, 3))))
    assert stored.status_code == 201, stored.get_json()
    assert "evil" not in json.dumps(stored.get_json())
    gpx = b'<?xml version="1.0"?><gpx version="1.1"><trk><trkseg></trkseg></trk></gpx>'
    refused(worker.post("/api/v1/patrols/import-gpx", **_multipart("../../evil-hardening.gpx", gpx)))
    refused(community.post("/api/v1/people/import", **_multipart("../../evil-hardening.xlsx", b"PK\x03\x04 not a zip")))
    assert set(os.listdir(parent)) == before
    for root, _, files in os.walk(parent):
        assert not [f for f in files if "evil-hardening" in f], root


def _png_bomb(width, height):
    """A valid 1-bit PNG of width × height zero pixels, compressed to a few hundred KB."""

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    row = b"\x00" * (1 + (width + 7) // 8)
    packer = zlib.compressobj(9)
    idat = b"".join(packer.compress(row * 100) for _ in range(height // 100)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def test_decompression_bombs_are_refused(worker):
    before = counts()
    for size in ((30_000, 30_000), (10_000, 9_000)):
        refused(upload_photo(worker, _png_bomb(*size), "bomb.png"))
    assert counts() == before


def test_bodies_over_the_limit_get_413(worker, app):
    limit = app.config["MAX_JSON_BYTES"]
    before = counts()
    big = {"id": str(uuid.uuid4()), "location": point(), "category": "0602", "description": "x" * (limit + 10)}
    assert_error_shape(worker.post("/api/v1/incidents", json=big), 413)
    huge_photo = jpeg((5, 5, 5)) + b"\0" * (app.config["MAX_CONTENT_LENGTH"] + 1024)
    assert_error_shape(upload_photo(worker, huge_photo), 413)
    over_photo = jpeg((5, 5, 5)) + b"\0" * (10 * 1024 * 1024 + 1024)  # over the 10 MB photo cap, under the body cap
    response = upload_photo(worker, over_photo)
    assert response.status_code in (413, 422)
    assert_error_shape(response, response.status_code)
    assert counts() == before


def test_deep_nesting_invalid_utf8_nan_and_infinity(worker, staff):
    before = counts()
    deep = "[" * 100_000 + "]" * 100_000
    deep_obj = '{"a":' * 5_000 + "1" + "}" * 5_000
    patrol_id = str(uuid.uuid4())
    for url in ("/api/v1/incidents", "/api/v1/sync/push", f"/api/v1/patrols/{patrol_id}/points", "/api/v1/visits"):
        for raw in (deep, deep_obj, b'{"description": "\xff\xfe\xfa"}', b"\xef\xbb\xbf{", b'{"id": "\xed\xa0\x80"}'):
            refused(worker.post(url, data=raw, content_type="application/json"))
    nan_bodies = [
        '{"id": "%s", "location": {"type": "Point", "coordinates": [NaN, 30.28]}, "category": "0602"}',
        '{"id": "%s", "location": {"type": "Point", "coordinates": [Infinity, 30.28]}, "category": "0602"}',
        '{"id": "%s", "location": {"type": "Point", "coordinates": [120.12, 1e999]}, "category": "0602"}',
        '{"id": "%s", "location": {"type": "Point", "coordinates": [-Infinity, 30.28]}, "category": "0602"}',
    ]
    for body in nan_bodies:
        refused(worker.post("/api/v1/incidents", data=body % uuid.uuid4(), content_type="application/json"))
    grid_id = worker.get("/api/v1/areas?level=grid").get_json()["features"][0]["id"]
    started = worker.post(
        "/api/v1/patrols",
        json={
            "id": patrol_id,
            "grid_id": grid_id,
            "started_at": (datetime.now(UTC) - timedelta(minutes=5)).isoformat(),
        },
    )
    assert started.status_code == 201, started.get_json()
    t = int(datetime.now(UTC).timestamp() * 1000)
    for row in (
        "[%d, NaN, 30.28, 5, 1, null]",
        "[%d, 120.12, Infinity, 5, 1, null]",
        "[%d, 120.12, 30.28, NaN, 1, null]",
    ):
        body = '{"points": [%s]}' % (row % t)
        refused(worker.post(f"/api/v1/patrols/{patrol_id}/points", data=body, content_type="application/json"))
    refused(
        staff.post(
            "/api/v1/tasks/key-places",
            data='{"name": "x", "category": "school", "geometry": {"type": "Point", "coordinates": [NaN, NaN]}}',
            content_type="application/json",
        )
    )
    after = counts()
    assert after["track_point"] == before["track_point"] and after["incident"] == before["incident"]
    assert after["patrol"] == before["patrol"] + 1 and after["key_place"] == before["key_place"]


def test_polygons_with_100000_vertices(staff, demo, login, app):
    admin = login("demo-admin")
    before = counts()
    # Short coordinates keep the body under the JSON limit: the vertex count itself must be refused.
    ring = [[round(120.20 + 0.01 * (i / 100_000), 7), 30.3 + 0.0001 * (i % 2)] for i in range(100_000)]
    ring += [[120.21, 30.31], [120.20, 30.31], ring[0]]
    polygon = {"type": "Polygon", "coordinates": [ring]}
    feature = {"type": "Feature", "properties": {"code": "330106099", "name": "巨型"}, "geometry": polygon}
    body = {"type": "FeatureCollection", "features": [feature]}
    assert len(json.dumps(body)) < app.config["MAX_JSON_BYTES"]
    statuses = [refused(admin.post("/api/v1/areas/import?level=street", json=body))["status"]]
    place = {"name": "巨型", "category": "school", "geometry": polygon}
    statuses.append(refused(staff.post("/api/v1/tasks/key-places", json=place))["status"])
    assert statuses == [422, 422]
    assert counts() == before


def test_timestamps_in_1970_and_2100(worker, community):
    before = counts()
    grid_id = worker.get("/api/v1/areas?level=grid").get_json()["features"][0]["id"]
    person = community.post(
        "/api/v1/people",
        json={
            "name": "时间测试",
            "id_number": _id_number(77),
            "location": point(),
            "categories": [{"category": "elderly_alone", "extra": {"living": "独居"}}],
        },
    ).get_json()["id"]
    before = counts()
    for moment in ("1970-01-01T00:00:00+00:00", "2100-01-01T00:00:00+08:00"):
        refused(
            worker.post("/api/v1/patrols", json={"id": str(uuid.uuid4()), "grid_id": grid_id, "started_at": moment})
        )
        refused(
            worker.post(
                "/api/v1/incidents",
                json={"id": str(uuid.uuid4()), "location": point(), "category": "0602", "reported_at": moment},
            )
        )
        refused(
            worker.post(
                "/api/v1/visits",
                json={
                    "id": str(uuid.uuid4()),
                    "person_id": person,
                    "visited_at": moment,
                    "method": "入户",
                    "condition": "正常",
                },
            )
        )
        refused(
            worker.post(
                "/api/v1/people",
                json={"name": "x", "id_number": _id_number(78), "categories": [], "registered_on": moment[:10]},
            )
        )
    patrol_id = str(uuid.uuid4())
    started = worker.post(
        "/api/v1/patrols",
        json={
            "id": patrol_id,
            "grid_id": grid_id,
            "started_at": (datetime.now(UTC) - timedelta(minutes=5)).isoformat(),
        },
    )
    assert started.status_code == 201
    for t_ms in (0, 4_102_444_800_000):
        refused(worker.post(f"/api/v1/patrols/{patrol_id}/points", json={"points": [[t_ms, *POINT_A, 5.0, 1.0, None]]}))
    after = counts()
    assert after["track_point"] == before["track_point"] and after["incident"] == before["incident"]
    assert after["visit"] == before["visit"] and after["patrol"] == before["patrol"] + 1
