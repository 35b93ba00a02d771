"""`flask seed-demo`: the demo street, its users, and each feature's 30 days of history."""

import logging
from dataclasses import dataclass, field
from datetime import date, timedelta

from patrol.demo import street
from patrol.localtime import today

log = logging.getLogger(__name__)


@dataclass
class DemoContext:
    """What a feature's seeder gets: the street, the workers with their grids, the days to fill."""

    password: str
    first_day: date
    last_day: date
    workers: list = field(default_factory=list)  # [(User, grid Area)]

    @property
    def days(self):
        return [self.first_day + timedelta(days=n) for n in range((self.last_day - self.first_day).days + 1)]


def seed_demo(password, days=30):
    """Create everything; a second run changes nothing (each seeder skips what exists)."""
    last_day = today()
    first_day = last_day - timedelta(days=days - 1)
    street.seed_areas()
    workers = street.seed_users(password, first_day - timedelta(days=30))
    context = DemoContext(password=password, first_day=first_day, last_day=last_day, workers=workers)
    from patrol.features import demo_seeders

    for name, seed in demo_seeders():
        log.info("seeding demo %s", name)
        seed(context)
    return context
