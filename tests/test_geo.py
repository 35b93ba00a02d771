import math

import numpy as np
import pytest

from patrol.geo import GeometryError, gcj02_to_wgs84, parse_geometry, wgs84_to_gcj02


def metres_between(lon1, lat1, lon2, lat2):
    r = 6_371_008.8
    p1, p2 = np.radians(lat1), np.radians(lat2)
    a = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(np.radians(lon2 - lon1) / 2) ** 2
    return 2 * r * np.arcsin(np.sqrt(a))


def test_gcj02_offset_is_hundreds_of_metres_in_china():
    lon, lat = wgs84_to_gcj02(120.13, 30.28)
    assert 300 < metres_between(120.13, 30.28, lon, lat) < 700


def test_gcj02_inverse_is_better_than_half_a_metre_across_china():
    rng = np.random.default_rng(7)
    lon = rng.uniform(74, 134, 5000)
    lat = rng.uniform(18, 53, 5000)
    shifted_lon, shifted_lat = wgs84_to_gcj02(lon, lat)
    back_lon, back_lat = gcj02_to_wgs84(shifted_lon, shifted_lat)
    assert metres_between(lon, lat, back_lon, back_lat).max() < 0.5


def test_outside_china_is_unchanged():
    lon, lat = wgs84_to_gcj02(2.35, 48.85)
    assert (float(lon), float(lat)) == (2.35, 48.85)


@pytest.mark.parametrize("value", [float("nan"), float("inf")])
def test_non_finite_coordinates_are_refused(value):
    with pytest.raises(GeometryError, match="finite"):
        parse_geometry({"type": "Polygon", "coordinates": [[[120, 30], [value, 30], [120, 31], [120, 30]]]})


def test_close_to_exact_round_trip_on_grid_scale():
    lon, lat = gcj02_to_wgs84(*wgs84_to_gcj02(120.1234567, 30.2876543))
    assert math.isclose(float(lon), 120.1234567, abs_tol=1e-8)
    assert math.isclose(float(lat), 30.2876543, abs_tol=1e-8)
