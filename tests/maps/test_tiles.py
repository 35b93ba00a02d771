"""Vector tiles decoded with mapbox-vector-tile: expected features inside the scope, none outside it."""

import math

import mapbox_vector_tile
import pytest
from shapely.geometry import shape

from tests.conftest import assert_error_shape
from tests.maps import helpers


def tile_of(lon, lat, z):
    """The slippy-map tile (x, y) holding lon/lat at zoom z."""
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


STREET_CENTRE = (120.129, 30.286)


def get_tile(client, layer, z, day, lonlat=STREET_CENTRE, **headers):
    x, y = tile_of(*lonlat, z)
    return client.get(f"/api/v1/tiles/{layer}/{z}/{x}/{y}.mvt?date={day}", headers=headers)


def features(response, layer):
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.mimetype == "application/vnd.mapbox-vector-tile"
    decoded = mapbox_vector_tile.decode(response.data)
    return decoded[layer]["features"] if layer in decoded else []


def test_grid_tile_colours_by_the_days_compliance(street_day, login):
    reviewer = login("demo-street")
    grids = {
        f["properties"]["code"]: f["properties"]
        for f in features(get_tile(reviewer, "grids", 13, street_day["day"]), "grids")
    }
    assert len(grids) == 12
    assert grids[helpers.FIRST_GRID]["compliance"] == "full"
    assert grids[helpers.FIRST_GRID]["patrols"] == 2
    assert grids[helpers.OTHER_COMMUNITY_GRID]["compliance"] == "partial"
    assert grids[helpers.SECOND_GRID]["compliance"] == "none"
    check_etag_and_cache_headers(street_day, login)


def test_community_admin_sees_only_its_community(street_day, login):
    admin = login("demo-community")
    day = street_day["day"]
    codes = {f["properties"]["code"] for f in features(get_tile(admin, "grids", 13, day), "grids")}
    assert codes and all(code.startswith("330106010001") for code in codes)
    tracks = {f["properties"]["id"] for f in features(get_tile(admin, "tracks", 13, day), "tracks")}
    assert tracks == {street_day["am"], street_day["pm"]}
    incidents = {f["properties"]["id"] for f in features(get_tile(admin, "incidents", 13, day), "incidents")}
    assert incidents == {street_day["incident"]}
    check_worker_sees_own_tracks_only(street_day, login)


def check_worker_sees_own_tracks_only(street_day, login):
    worker2 = login("demo-worker2")
    day = street_day["day"]
    assert get_tile(worker2, "tracks", 13, day).status_code == 204
    grids = features(get_tile(worker2, "grids", 13, day), "grids")
    assert [g["properties"]["code"] for g in grids] == [helpers.SECOND_GRID]


def test_track_geometry_lies_in_the_tile_and_is_a_line(street_day, login):
    reviewer = login("demo-street")
    found = features(
        get_tile(reviewer, "tracks", 15, street_day["day"], lonlat=helpers.point_in(helpers.FIRST_GRID)["coordinates"]),
        "tracks",
    )
    assert found
    for feature in found:
        assert feature["geometry"]["type"] in ("LineString", "MultiLineString")
        assert feature["properties"]["valid"] is True
        assert feature["properties"]["shift"] in ("am", "pm")
    check_low_zoom_tile_is_simplified(street_day, login)


def vertices(geometry):
    coords = geometry["coordinates"]
    lines = coords if geometry["type"] == "MultiLineString" else [coords]
    return sum(len(line) for line in lines)


def check_low_zoom_tile_is_simplified(street_day, login):
    reviewer = login("demo-street")
    day, centre = street_day["day"], helpers.point_in(helpers.FIRST_GRID)["coordinates"]
    coarse = {f["properties"]["id"]: f for f in features(get_tile(reviewer, "tracks", 11, day, centre), "tracks")}
    fine = {f["properties"]["id"]: f for f in features(get_tile(reviewer, "tracks", 15, day, centre), "tracks")}
    am = street_day["am"]
    assert am in coarse and am in fine
    assert vertices(coarse[am]["geometry"]) < vertices(fine[am]["geometry"]) / 2


def check_etag_and_cache_headers(street_day, login):
    reviewer = login("demo-street")
    first = get_tile(reviewer, "grids", 14, street_day["day"])
    assert first.status_code == 200
    assert "private" in first.headers["Cache-Control"] and "max-age" in first.headers["Cache-Control"]
    etag = first.headers["ETag"]
    again = get_tile(reviewer, "grids", 14, street_day["day"], **{"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    stale = get_tile(reviewer, "grids", 14, street_day["day"], **{"If-None-Match": '"other"'})
    assert stale.status_code == 200


def test_empty_tile_is_204(demo, login):
    reviewer = login("demo-street")
    response = reviewer.get("/api/v1/tiles/grids/14/0/0.mvt")
    assert response.status_code == 204 and response.data == b""
    assert response.headers["Content-Type"] == "application/vnd.mapbox-vector-tile"


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/api/v1/tiles/people/14/0/0.mvt", 404),
        ("/api/v1/tiles/grids/23/0/0.mvt", 422),
        ("/api/v1/tiles/grids/2/4/0.mvt", 422),
        ("/api/v1/tiles/grids/14/0/0.mvt?date=yesterday", 422),
    ],
)
def test_bad_tile_requests(demo, login, url, status):
    assert_error_shape(login("demo-street").get(url), status)


def test_tiles_need_a_token(client, demo):
    assert_error_shape(client.get("/api/v1/tiles/grids/14/0/0.mvt"), 401)


def test_linear_latitude_mapping_matches_web_mercator(demo):
    """The projection-free mapping used from z10 lands within one tile unit of ST_Transform's."""
    from datetime import timedelta

    from patrol.extensions import db
    from patrol.localtime import local_midnight, today
    from patrol.maps import queries, tiles

    for z in (10, 13, 16):
        x, y = tile_of(*helpers.point_in(helpers.FIRST_GRID)["coordinates"], z)
        params = {
            "prefix": "", "grid_ids": None, "worker_id": None, "department_id": None, "z": z, "x": x, "y": y,
            "extent": tiles.extent_for(z), "tolerance": 0.0, "day": today(), "day_start": local_midnight(today()),
            "day_end": local_midnight(today() + timedelta(days=1)),
        }  # fmt: skip
        decoded = {}
        for linear in (False, True):
            data = db.session.execute(queries.LAYERS["grids"][linear], params).scalar()
            layer = mapbox_vector_tile.decode(bytes(data))["grids"]["features"]
            decoded[linear] = {f["properties"]["code"]: shape(f["geometry"]) for f in layer}
        assert decoded[False].keys() == decoded[True].keys() and decoded[True]
        for code, mercator in decoded[False].items():
            # both are snapped to whole tile units, so a vertex may land one unit over
            assert mercator.hausdorff_distance(decoded[True][code]) <= 1.5, (z, code)


def test_department_sees_only_incidents_dispatched_to_it(street_day, login):
    from tests.incidents.helpers import setup_departments

    departments = setup_departments()
    street, day = login("demo-street"), street_day["day"]
    for body in ({"action": "accept"}, {"action": "dispatch", "department_id": departments["chengguan"]}):
        assert street.post(f"/api/v1/incidents/{street_day['incident']}/actions", json=body).status_code == 200
    chengguan, huanwei = login("dept-chengguan"), login("dept-huanwei")
    seen = {f["properties"]["id"] for f in features(get_tile(chengguan, "incidents", 13, day), "incidents")}
    assert seen == {street_day["incident"]}
    assert get_tile(huanwei, "incidents", 13, day).status_code == 204
    assert_error_shape(get_tile(chengguan, "tracks", 13, day), 403)
    ogc = chengguan.get("/ogc/collections/incidents/items").get_json()
    assert [f["id"] for f in ogc["features"]] == [street_day["incident"]]
    assert_error_shape(chengguan.get("/ogc/collections/patrols/items"), 403)
