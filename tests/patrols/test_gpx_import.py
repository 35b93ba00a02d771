"""A GPX file from any logger becomes patrols, once."""

import io

import gpxpy.gpx
from sqlalchemy import text

from patrol.extensions import db
from tests.conftest import assert_error_shape
from tests.patrols.helpers import AM, PM, local_time, walk


def _gpx(*tracks):
    gpx = gpxpy.gpx.GPX()
    track = gpxpy.gpx.GPXTrack()
    gpx.tracks.append(track)
    for rows in tracks:
        segment = gpxpy.gpx.GPXTrackSegment()
        track.segments.append(segment)
        for t, lon, lat, *_ in rows:
            moment = local_time(0, AM).fromtimestamp(t / 1000, local_time(0, AM).tzinfo)
            segment.points.append(gpxpy.gpx.GPXTrackPoint(lat, lon, time=moment))
    return gpx.to_xml().encode()


def _upload(client, data):
    return client.post(
        "/api/v1/patrols/import-gpx", data={"file": (io.BytesIO(data), "track.gpx")}, content_type="multipart/form-data"
    )


def test_each_segment_in_a_shift_becomes_a_patrol(demo, login):
    grid = demo["workers"][0][1]
    worker = login("demo-worker")
    morning = walk(grid, local_time(1, AM), minutes=30)
    afternoon = walk(grid, local_time(1, PM), minutes=25)
    night = walk(grid, local_time(1, AM).replace(hour=23), minutes=5)
    data = _gpx(morning, afternoon, night)
    response = _upload(worker, data)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    shifts = sorted(p["properties"]["shift"] for p in body["patrols"])
    assert shifts == ["am", "pm"]
    assert body["skipped"] == [{"segment": "0.2", "reason": "outside_shift_windows"}]
    assert all(p["properties"]["source"] == "gpx" and p["properties"]["distance_m"] > 1000 for p in body["patrols"])
    again = _upload(worker, data).get_json()
    assert sorted(p["id"] for p in again["patrols"]) == sorted(p["id"] for p in body["patrols"])
    counts = db.session.execute(text("SELECT (SELECT count(*) FROM patrol), (SELECT count(*) FROM track_point)")).one()
    db.session.commit()
    assert tuple(counts) == (2, len(morning) + len(afternoon))


def test_bad_files_are_refused(demo, login):
    worker = login("demo-worker")
    assert_error_shape(_upload(worker, b"<gpx><trk>"), 422)
    assert_error_shape(_upload(worker, b"\xff\xfe not text"), 422)
    assert_error_shape(worker.post("/api/v1/patrols/import-gpx", data={}, content_type="multipart/form-data"), 422)
    untimed = (
        b'<?xml version="1.0"?><gpx version="1.1" creator="x"><trk><trkseg><trkpt lat="30.28" lon="120.12"/>'
        b"</trkseg></trk></gpx>"
    )
    assert_error_shape(_upload(worker, untimed), 422)
    assert db.session.execute(text("SELECT count(*) FROM patrol")).scalar() == 0
