"""A day of the demo street: two patrols in one grid, one in another community, incidents in both."""

import pytest

from patrol.incidents import catalog
from tests.maps import helpers


@pytest.fixture
def street_day(demo, login):
    """Yesterday's patrols and incidents; returns the ids and the day."""
    catalog.seed_categories()
    day = helpers.yesterday()
    worker, worker5 = login("demo-worker"), login("demo-worker5")
    am = helpers.walk(worker, helpers.FIRST_GRID, helpers.local_moment(day, 8))
    pm = helpers.walk(worker, helpers.FIRST_GRID, helpers.local_moment(day, 14))
    other = helpers.walk(worker5, helpers.OTHER_COMMUNITY_GRID, helpers.local_moment(day, 9))
    inside = helpers.report(worker, helpers.FIRST_GRID, reported_at=helpers.local_moment(day, 9))
    outside = helpers.report(worker5, helpers.OTHER_COMMUNITY_GRID, reported_at=helpers.local_moment(day, 10))
    return {"day": day, "am": am, "pm": pm, "other": other, "incident": inside, "other_incident": outside}
