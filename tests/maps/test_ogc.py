"""OGC API - Features: landing, conformance, collections, GeoJSON items with bbox, datetime and paging."""

from urllib.parse import parse_qs, urlparse

from shapely.geometry import box, shape

from tests.conftest import assert_error_shape
from tests.maps import helpers


def assert_feature_collection(body):
    assert body["type"] == "FeatureCollection"
    assert body["numberReturned"] == len(body["features"])
    for feature in body["features"]:
        assert feature["type"] == "Feature" and "id" in feature
        assert isinstance(feature["properties"], dict)
        assert feature["geometry"] is None or shape(feature["geometry"]).is_valid


def link(body, rel):
    found = [item["href"] for item in body["links"] if item["rel"] == rel]
    return found[0] if found else None


def path_of(href):
    parsed = urlparse(href)
    return f"{parsed.path}?{parsed.query}"


def test_landing_conformance_and_collections(demo, login):
    reviewer = login("demo-street")
    landing = reviewer.get("/ogc").get_json()
    assert {"self", "conformance", "data", "service-desc"} <= {item["rel"] for item in landing["links"]}
    conformance = reviewer.get("/ogc/conformance").get_json()
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson" in conformance["conformsTo"]
    collections = reviewer.get("/ogc/collections").get_json()["collections"]
    assert {c["id"] for c in collections} == {"grids", "incidents", "patrols"}
    grids = next(c for c in collections if c["id"] == "grids")
    minx, miny, maxx, maxy = grids["extent"]["spatial"]["bbox"][0]
    assert 120.1 < minx < maxx < 120.15 and 30.27 < miny < maxy < 30.3


def test_grids_paged_by_next_and_prev_links(demo, login):
    reviewer = login("demo-street")
    first = reviewer.get("/ogc/collections/grids/items?limit=5")
    assert first.status_code == 200 and first.mimetype == "application/geo+json"
    body = first.get_json()
    assert_feature_collection(body)
    assert body["numberMatched"] == 12 and body["numberReturned"] == 5
    assert link(body, "prev") is None
    seen = [f["id"] for f in body["features"]]
    while link(body, "next"):
        body = reviewer.get(path_of(link(body, "next"))).get_json()
        assert_feature_collection(body)
        seen += [f["id"] for f in body["features"]]
    assert len(seen) == len(set(seen)) == 12
    assert body["numberReturned"] == 2 and link(body, "prev")
    back = reviewer.get(path_of(link(body, "prev"))).get_json()
    assert [f["id"] for f in back["features"]] == seen[5:10]
    assert parse_qs(urlparse(link(back, "self")).query)["offset"] == ["5"]


def test_bbox_filters_grids(demo, login):
    xmin, ymin, xmax, ymax = helpers.grid_box(helpers.FIRST_GRID)
    inner = box(xmin + 0.0005, ymin + 0.0005, xmin + 0.001, ymin + 0.001)
    url = "/ogc/collections/grids/items?bbox=" + ",".join(str(v) for v in inner.bounds)
    body = login("demo-street").get(url).get_json()
    assert_feature_collection(body)
    assert helpers.FIRST_GRID in [f["id"] for f in body["features"]]
    assert all(shape(f["geometry"]).intersects(inner.buffer(0.0001)) for f in body["features"])


def test_community_admin_sees_only_its_grids(demo, login):
    body = login("demo-community").get("/ogc/collections/grids/items?limit=100").get_json()
    assert body["numberMatched"] == 4
    assert all(f["id"].startswith("330106010001") for f in body["features"])


def test_patrols_and_incidents_without_personal_data(street_day, login):
    admin = login("demo-community")
    patrols = admin.get("/ogc/collections/patrols/items?limit=50").get_json()
    assert_feature_collection(patrols)
    assert {f["id"] for f in patrols["features"]} == {street_day["am"], street_day["pm"]}
    for feature in patrols["features"]:
        assert feature["geometry"]["type"] == "MultiLineString"
        assert not {"worker_id", "worker", "username", "full_name"} & set(feature["properties"])
    incidents = admin.get("/ogc/collections/incidents/items").get_json()
    assert [f["id"] for f in incidents["features"]] == [street_day["incident"]]
    assert not {"description", "reporter_id", "note"} & set(incidents["features"][0]["properties"])
    one = admin.get(f"/ogc/collections/incidents/items/{street_day['incident']}")
    assert one.status_code == 200 and one.get_json()["geometry"]["type"] == "Point"
    assert_error_shape(admin.get(f"/ogc/collections/incidents/items/{street_day['other_incident']}"), 404)
    check_datetime_filters_patrols(street_day, login)


def check_datetime_filters_patrols(street_day, login):
    reviewer = login("demo-street")
    day = street_day["day"]
    morning = f"{helpers.local_moment(day, 7).isoformat()}/{helpers.local_moment(day, 12).isoformat()}"
    body = reviewer.get("/ogc/collections/patrols/items", query_string={"datetime": morning}).get_json()
    assert {f["id"] for f in body["features"]} == {street_day["am"], street_day["other"]}
    whole_day = reviewer.get(f"/ogc/collections/patrols/items?datetime={day}").get_json()
    assert whole_day["numberMatched"] == 3
    after = reviewer.get("/ogc/collections/patrols/items", query_string={"datetime": f"{day}T13:00:00+08:00/.."})
    assert {f["id"] for f in after.get_json()["features"]} == {street_day["pm"]}


def test_bad_ogc_requests(demo, login, client):
    reviewer = login("demo-street")
    for url in (
        "/ogc/collections/grids/items?bbox=1,2,3",
        "/ogc/collections/grids/items?bbox=120,30,nan,31",
        "/ogc/collections/grids/items?bbox=121,30,120,31",
        "/ogc/collections/patrols/items?datetime=yesterday",
        "/ogc/collections/patrols/items?datetime=2026-11-02/2026-11-01",
    ):
        assert_error_shape(reviewer.get(url), 400)
    assert_error_shape(reviewer.get("/ogc/collections/grids/items?limit=0"), 422)
    assert_error_shape(reviewer.get("/ogc/collections/people/items"), 404)
    assert_error_shape(client.get("/ogc/collections"), 401)
