"""A GPX file from any logger becomes patrols, once."""

import io
from datetime import UTC, datetime, timedelta

import gpxpy
import gpxpy.gpx
import pytest
from sqlalchemy import text

from patrol.extensions import db
from patrol.patrols import partitions
from tests.conftest import assert_error_shape
from tests.patrols.gpx_clients import garmin_gpx, osmand_gpx
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


def _patrol_rows():
    rows = db.session.execute(
        text("SELECT started_at, ended_at, shift, point_count, distance_m FROM patrol ORDER BY started_at")
    ).all()
    db.session.commit()
    return [tuple(row) for row in rows]


def _ms_time(t):
    return datetime.fromtimestamp(t / 1000, UTC)


@pytest.mark.parametrize("resume_min", [18, 16], ids=["3-minute pause", "1-minute pause (under the gap)"])
def test_a_paused_phone_recording_is_one_patrol_with_a_gap(demo, login, resume_min):
    grid = demo["workers"][0][1]
    worker = login("demo-worker")
    before = walk(grid, local_time(1, AM), minutes=15)
    after = walk(grid, local_time(1, AM) + timedelta(minutes=resume_min), minutes=15)
    data = osmand_gpx([before, after])
    assert [len(s.points) for s in gpxpy.parse(data.decode()).tracks[0].segments] == [len(before), len(after)]
    apart = sum(_alone(worker, rows) for rows in (before, after))
    body = _upload(worker, data).get_json()
    assert len(body["patrols"]) == 1 and body["skipped"] == []
    (patrol,) = _patrol_rows()
    assert patrol[:4] == (_ms_time(before[0][0]), _ms_time(after[-1][0]), "am", len(before) + len(after))
    # Not bridged: the distance is that of the two segments imported alone.
    assert patrol[4] == pytest.approx(apart, abs=1.5)  # the answer rounds each to the metre
    exported = gpxpy.parse(worker.get(f"/api/v1/patrols/{body['patrols'][0]['id']}.gpx").get_data(as_text=True))
    assert [len(s.points) for s in exported.tracks[0].segments] == [len(before), len(after)]


def _alone(worker, rows):
    """The distance of one segment imported on its own (then removed again)."""
    body = _upload(worker, osmand_gpx([rows])).get_json()
    patrol_id = body["patrols"][0]["id"]
    distance = body["patrols"][0]["properties"]["distance_m"]
    db.session.execute(text("DELETE FROM track_point WHERE patrol_id = :id"), {"id": patrol_id})
    db.session.execute(text("DELETE FROM patrol WHERE id = :id"), {"id": patrol_id})
    db.session.commit()
    return distance


def test_a_garmin_file_imports_its_timed_tracks_and_skips_the_untimed_parts(demo, login):
    grid = demo["workers"][0][1]
    worker = login("demo-worker")
    start = local_time(1, AM)
    walked = walk(grid, start, minutes=20)
    first = [walked[:120], walk(grid, start + timedelta(minutes=13), minutes=10)]  # two segments, a pause
    second = [walk(grid, start + timedelta(minutes=28), minutes=10)]  # 5 minutes later: the same patrol
    afternoon = [walk(grid, local_time(1, PM), minutes=25)]  # another shift: another patrol
    plan = [(lon, lat) for _, lon, lat, *_ in walked[::40]]
    data = garmin_gpx([first, second, afternoon], route=plan, untimed_track=plan)
    parsed = gpxpy.parse(data.decode())
    assert (len(parsed.tracks), len(parsed.routes), len(parsed.waypoints)) == (4, 1, 1)
    response = _upload(worker, data)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert {"route": "0", "reason": "untimed"} in body["skipped"]
    assert {"segment": "3.0", "reason": "untimed"} in body["skipped"] and len(body["skipped"]) == 2
    patrols = _patrol_rows()
    assert [p[2] for p in patrols] == ["am", "pm"]
    assert patrols[0][:2] == (_ms_time(first[0][0][0]), _ms_time(second[0][-1][0]))
    assert patrols[0][3] == sum(len(rows) for rows in first + second)
    again = _upload(worker, data).get_json()
    assert sorted(p["id"] for p in again["patrols"]) == sorted(p["id"] for p in body["patrols"])
    assert len(_patrol_rows()) == 2


def test_a_gpx_spanning_years_creates_no_partition_outside_the_window(demo, login):
    grid = demo["workers"][0][1]
    worker = login("demo-worker")
    partitions.forget_known()
    before = _partition_names()
    old_assigned = walk(grid, datetime(2020, 6, 1, 9, 0, tzinfo=local_time(1, AM).tzinfo), minutes=5)
    ancient = walk(grid, datetime(2002, 4, 1, 9, 0, tzinfo=local_time(1, AM).tzinfo), minutes=5)
    recent = walk(grid, local_time(1, AM), minutes=20)
    data = garmin_gpx([[ancient], [old_assigned], [recent]], route=[], untimed_track=[])
    body = _upload(worker, data).get_json()
    assert len(body["patrols"]) == 1
    assert {"segment": "0.0", "reason": "no_assigned_grid"} in body["skipped"]
    assert {"segment": "1.0", "reason": "outside_fix_window"} in body["skipped"]
    assert _partition_names() - before <= {f"track_point_y{m:%Y}m{m:%m}" for m in (local_time(1, AM),)}
    assert not any(name.startswith(("track_point_y2002", "track_point_y2020")) for name in _partition_names())


def _partition_names():
    names = db.session.execute(
        text(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = 'track_point'::regclass"
        )
    ).scalars()
    result = set(names)
    db.session.commit()
    return result
