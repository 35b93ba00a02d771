"""Area imports at scale: the overlap check uses the spatial index and the error list is capped."""

import time

from shapely.geometry import box

from tests.areas.conftest import COMMUNITY, collection, feature
from tests.areas.test_routes import _refused

WEST, SOUTH, WIDTH, HEIGHT = 120.200, 30.300, 0.005, 0.010  # the blank street's community


def _overlapping_grids(per_side=20, grow=1.6):
    """per_side² grids in the community, each `grow` times its cell, so every one overlaps its neighbours."""
    dx, dy = WIDTH / per_side, HEIGHT / per_side
    features = []
    for n in range(per_side * per_side):
        x, y = WEST + (n % per_side) * dx, SOUTH + (n // per_side) * dy
        cell = box(x, y, min(x + dx * grow, WEST + WIDTH), min(y + dy * grow, SOUTH + HEIGHT))
        features.append(feature(f"{COMMUNITY}{n + 1:03d}", cell))
    return features


def test_four_hundred_overlapping_grids_answer_quickly_with_a_capped_list(blank_street):
    started = time.monotonic()
    error = _refused(blank_street, collection(*_overlapping_grids()))
    elapsed = time.monotonic() - started
    problems = error["errors"]["features"]
    assert len(problems) == 100
    assert error["errors"]["features_total"] > 1000
    assert str(error["errors"]["features_total"]) in error["message"]
    assert all(p["problem"] == "overlaps_sibling" for p in problems)
    assert problems == sorted(problems, key=lambda p: (p["index"], p["problem"], p["detail"]))
    assert elapsed < 30  # generous for a loaded machine: about 2 s here; the review measured 21 s for 400 features
