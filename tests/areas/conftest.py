"""Fixtures of the area tests: a second, blank street to import into."""

import json

import pytest
from shapely.geometry import box

STREET = "330106099"
COMMUNITY = "330106099001"


def feature(code, geometry, name=None, **props):
    if geometry is not None and not isinstance(geometry, dict):
        geometry = json.loads(json.dumps(geometry.__geo_interface__))
    return {
        "type": "Feature",
        "properties": {"code": code, "name": name or f"区域{code}", **props},
        "geometry": geometry,
    }


def collection(*features):
    return {"type": "FeatureCollection", "features": list(features)}


@pytest.fixture
def admin(demo, login):
    return login("demo-admin")


@pytest.fixture
def blank_street(admin):
    """A second street east of the demo one, with one community covering its west half."""
    street = admin.post(
        "/api/v1/areas/import?level=street", json=collection(feature(STREET, box(120.20, 30.30, 120.21, 30.31)))
    )
    assert street.status_code == 201, street.get_json()
    community = admin.post(
        f"/api/v1/areas/import?level=community&parent={STREET}",
        json=collection(feature(COMMUNITY, box(120.20, 30.30, 120.205, 30.31))),
    )
    assert community.status_code == 201, community.get_json()
    return admin
