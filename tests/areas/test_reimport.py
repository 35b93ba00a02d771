"""Re-importing a street or community may not leave its existing children outside the new boundary,
unless the children come in the same file and fit."""

from shapely.geometry import box, shape
from sqlalchemy import func, select

from patrol.areas.models import Area
from patrol.extensions import db
from tests.areas.conftest import COMMUNITY, STREET, collection, feature
from tests.areas.test_routes import _refused, area_count
from tests.conftest import assert_error_shape


def _geometry(code):
    return shape(__import__("json").loads(
        db.session.execute(select(func.ST_AsGeoJSON(Area.geom)).where(Area.code == code)).scalar()
    ))  # fmt: skip


def _refused_street(admin, body):
    before = area_count()
    error = assert_error_shape(admin.post("/api/v1/areas/import?level=street", json=body), 422)
    assert area_count() == before
    return error


def test_a_street_shrunk_past_its_community_is_refused_naming_it(blank_street):
    before = _geometry(STREET)
    error = _refused_street(blank_street, collection(feature(STREET, box(120.203, 30.30, 120.21, 30.31))))
    [problem] = error["errors"]["features"]
    assert problem["problem"] == "children_outside" and problem["code"] == STREET
    assert COMMUNITY in problem["detail"] and "community" in problem["detail"]
    assert error["errors"]["features_total"] == 1
    assert _geometry(STREET).equals(before)


def test_a_community_shrunk_past_its_grids_is_refused_naming_them(blank_street):
    grids = collection(
        feature(f"{COMMUNITY}001", box(120.200, 30.300, 120.205, 30.305)),
        feature(f"{COMMUNITY}002", box(120.200, 30.305, 120.205, 30.310)),
    )
    assert blank_street.post(f"/api/v1/areas/import?level=grid&parent={COMMUNITY}", json=grids).status_code == 201
    shrunk = collection(feature(COMMUNITY, box(120.20, 30.30, 120.205, 30.306)))
    error = _refused(blank_street, shrunk, "community", STREET)
    assert [p["detail"].split()[1] for p in error["errors"]["features"]] == [f"{COMMUNITY}002"]
    # a boundary that still holds every grid goes through
    grown = collection(feature(COMMUNITY, box(120.20, 30.30, 120.206, 30.31)))
    assert blank_street.post(f"/api/v1/areas/import?level=community&parent={STREET}", json=grown).status_code == 201


def test_parent_and_children_imported_together_fit(blank_street):
    body = collection(
        feature(STREET, box(120.203, 30.30, 120.21, 30.31)),
        feature(COMMUNITY, box(120.203, 30.30, 120.206, 30.31)),
        feature(f"{STREET}002", box(120.206, 30.30, 120.21, 30.31)),
    )
    response = blank_street.post("/api/v1/areas/import?level=street", json=body)
    assert response.status_code == 201, response.get_json()
    assert response.get_json() == {"created": 1, "updated": 2, "codes": [STREET, COMMUNITY, f"{STREET}002"]}
    assert _geometry(COMMUNITY).equals(box(120.203, 30.30, 120.206, 30.31))
    parent = db.session.execute(select(Area.parent_id).where(Area.code == f"{STREET}002")).scalar()
    assert parent == db.session.execute(select(Area.id).where(Area.code == STREET)).scalar()


def test_children_in_the_file_must_fit_and_belong(blank_street):
    before = _geometry(COMMUNITY)
    sticking_out = collection(
        feature(STREET, box(120.203, 30.30, 120.21, 30.31)), feature(COMMUNITY, box(120.200, 30.30, 120.206, 30.31))
    )
    error = _refused_street(blank_street, sticking_out)
    assert [(p["code"], p["problem"]) for p in error["errors"]["features"]] == [(COMMUNITY, "outside_parent")]
    assert _geometry(COMMUNITY).equals(before)
    stray = collection(feature(STREET, box(120.20, 30.30, 120.21, 30.31)), feature("330106098001", box(0, 0, 1, 1)))
    error = _refused_street(blank_street, stray)
    assert error["errors"]["features"][0]["problem"] == "bad_code"
