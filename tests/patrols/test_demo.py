"""The demo seeder: realistic patrols, idempotent."""

from datetime import timedelta

from sqlalchemy import text

from patrol.demo import DemoContext
from patrol.extensions import db
from patrol.localtime import today
from patrol.patrols import demo as patrol_demo


def test_demo_patrols_are_realistic_and_seeded_once(demo):
    context = DemoContext(
        password=demo["password"],
        first_day=today() - timedelta(days=3),
        last_day=today() - timedelta(days=1),
        workers=demo["workers"],
    )
    created = patrol_demo.seed(context)
    assert 50 <= created <= 72
    assert patrol_demo.seed(context) == 0
    figures = db.session.execute(
        text(
            "SELECT count(*) FILTER (WHERE valid), count(*) FILTER (WHERE NOT valid), min(clean_count),"
            " percentile_cont(0.5) WITHIN GROUP (ORDER BY coverage), percentile_cont(0.5) WITHIN GROUP (ORDER BY"
            " distance_m / nullif(duration_s, 0)), (SELECT count(*) FROM track_point WHERE flag <> 0) FROM patrol"
        )
    ).one()
    db.session.commit()
    valid, invalid, fewest, coverage, pace, flagged = figures
    assert valid > invalid >= 0 and fewest > 0
    assert 0.3 < coverage < 0.9
    assert 0.9 < pace < 1.6
    assert flagged > 0
