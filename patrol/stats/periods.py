"""Report periods: a local day, its ISO week (Monday to Sunday) or its calendar month."""

from dataclasses import dataclass
from datetime import date, timedelta

from patrol.localtime import today

PERIOD_NAMES = {"day": "日报", "week": "周报", "month": "月报"}


@dataclass(frozen=True)
class Period:
    kind: str
    start: date
    end: date  # inclusive, never after today
    nominal_end: date

    @property
    def name(self):
        return PERIOD_NAMES[self.kind]

    @property
    def label(self):
        """'2026-11-01 至 2026-11-30' (with '截至' when the period is still running)."""
        text = str(self.start) if self.start == self.nominal_end else f"{self.start} 至 {self.nominal_end}"
        return text if self.end == self.nominal_end else f"{text}（截至 {self.end}）"


def period_of(kind, day):
    """The period of the kind holding the day, cut at today (end < start for a future period)."""
    if kind == "day":
        start = end = day
    elif kind == "week":
        start = day - timedelta(days=day.weekday())
        end = start + timedelta(days=6)
    else:
        start = day.replace(day=1)
        end = (start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    return Period(kind, start, min(end, today()), end)
