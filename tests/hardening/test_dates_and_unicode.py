"""Far-past and far-future dates and lone surrogates are bad input (4xx in the error shape), never a 500."""

import json

import pytest

from tests.conftest import assert_error_shape
from tests.people.helpers import person_body

DAYS = ["9999-12-31", "0001-01-01", "1000-01-01", "3000-06-15"]
INSTANTS = ["9999-12-31T23:59:59+00:00", "0001-01-01T00:00:00+08:00"]

GET_WITH_DAY = [
    ("demo-street", "/api/v1/reports/day?date={d}"),
    ("demo-street", "/api/v1/reports/week?date={d}"),
    ("demo-street", "/api/v1/reports/month?date={d}&format=xlsx"),
    ("demo-street", "/api/v1/exports/compliance?format=csv&from={d}&to={d}"),
    ("demo-street", "/api/v1/exports/visits?format=xlsx&from={d}&to={d}"),
    ("demo-street", "/api/v1/exports/workbook.xlsx?from={d}&to={d}"),
    ("demo-street", "/api/v1/exports/tracks.gpx?date={d}"),
    ("demo-street", "/api/v1/exports/layers/tracks.geojson?date={d}"),
    ("demo-street", "/api/v1/stats/patrols?from={d}&to={d}"),
    ("demo-street", "/api/v1/stats/incidents?from={d}&to={d}"),
    ("demo-street", "/api/v1/stats/visits?from={d}&to={d}"),
    ("demo-street", "/api/v1/incidents?from={d}&to={d}"),
    ("demo-street", "/api/v1/tiles/grids/14/13700/6730.mvt?date={d}"),
    ("demo-street", "/api/v1/review/dashboard?from={d}&to={d}"),
    ("demo-street", "/api/v1/review/grids/1/day?date={d}"),
    ("demo-street", "/api/v1/tasks/ledger?from={d}&to={d}"),
    ("demo-street", "/api/v1/tasks/ledger/summary?from={d}&to={d}"),
    ("demo-street", "/api/v1/tasks/key-places/status?date={d}"),
    ("demo-street", "/api/v1/visits?from={d}&to={d}"),
    ("demo-street", "/api/v1/patrols?date={d}"),
]


@pytest.mark.parametrize(("username", "url"), GET_WITH_DAY)
def test_far_dates_in_queries_are_refused(demo, login, username, url):
    api = login(username)
    for day in DAYS:
        response = api.get(url.format(d=day))
        assert 400 <= response.status_code < 500, (url, day, response.status_code)
        assert_error_shape(response, response.status_code)


def _body_cases(demo):
    grid = demo["grids"][0]
    worker_id = demo["workers"][0][0].id
    return [
        ("demo-admin", "put", "/api/v1/incidents/holidays/{d}", lambda d: {"name": "假日", "is_workday": False}),
        ("demo-community", "post", "/api/v1/people", lambda d: person_body(3, birth_date=d)),
        (
            "demo-community",
            "post",
            f"/api/v1/areas/{grid.id}/assignments",
            lambda d: {"worker_id": worker_id, "start_date": d},
        ),
    ]


def test_far_dates_in_bodies_and_paths_are_refused(demo, login):
    for username, method, url, body in _body_cases(demo):
        api = login(username)
        for day in DAYS:
            response = getattr(api, method)(url.format(d=day), json=body(day))
            assert 400 <= response.status_code < 500, (url, day, response.get_data(as_text=True)[:200])
            assert_error_shape(response, response.status_code)


@pytest.mark.parametrize(
    "raw",
    [
        '{"name": "\\ud800", "location": {"type": "Point", "coordinates": [120.12, 30.28]}}',
        '{"name": "ok\\udfff"}',
        '{"\\ud800": 1}',
    ],
)
def test_lone_surrogate_in_json_is_a_400(demo, login, raw):
    community = login("demo-community")
    valid_person = json.dumps(person_body(4, name="张\ud800"))  # otherwise valid: reaches the database
    body = assert_error_shape(community.post("/api/v1/people", data=valid_person, content_type="application/json"), 400)
    assert body["errors"]
    for url in ("/api/v1/people", "/api/v1/incidents", "/api/v1/sync"):
        response = community.post(url, data=raw, content_type="application/json")
        body = assert_error_shape(response, 400)
        assert body["errors"]


def test_escaped_surrogate_pair_and_escaped_backslash_are_fine(demo, login):
    community = login("demo-community")
    for raw in ('{"name": "\\ud83d\\ude00"}', '{"name": "\\\\ud800"}'):
        response = community.post("/api/v1/people", data=raw, content_type="application/json")
        assert response.status_code == 422, response.get_data(as_text=True)[:200]  # the schema speaks, not a 400


@pytest.mark.parametrize("value", DAYS[:2] + INSTANTS)
def test_far_instants_in_ogc_datetime_are_refused(demo, login, value):
    response = login("demo-street").get(f"/ogc/collections/incidents/items?datetime={value}")
    assert_error_shape(response, 400)
