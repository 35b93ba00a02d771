import json

import pytest
from shapely.geometry import box, shape
from sqlalchemy import func, select

from patrol.areas.models import Area
from patrol.extensions import db
from tests.areas.conftest import COMMUNITY, collection, feature
from tests.conftest import assert_error_shape


def area_count():
    return db.session.execute(select(func.count()).select_from(Area)).scalar()


def grid_codes(response):
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["type"] == "FeatureCollection"
    return sorted(f["properties"]["code"] for f in body["features"])


def test_worker_sees_only_their_grid(demo, login):
    codes = grid_codes(login("demo-worker").get("/api/v1/areas?level=grid"))
    assert codes == ["330106010001001"]


def test_street_reviewer_sees_all_twelve_grids(demo, login):
    codes = grid_codes(login("demo-street").get("/api/v1/areas?level=grid"))
    assert len(codes) == 12 and all(c.startswith("330106010") for c in codes)


def test_community_admin_sees_their_community(demo, login):
    codes = grid_codes(login("demo-community").get("/api/v1/areas?level=grid"))
    assert codes == [f"330106010001{n:03d}" for n in range(1, 5)]


def test_children_of_a_parent(demo, login):
    codes = grid_codes(login("demo-street").get("/api/v1/areas?parent=330106010002"))
    assert codes == [f"330106010002{n:03d}" for n in range(1, 5)]


def test_area_feature_and_scope(demo, login):
    worker = login("demo-worker")
    own, other = demo["grids"][0], demo["grids"][5]
    response = worker.get(f"/api/v1/areas/{own.id}")
    assert response.status_code == 200
    body = response.get_json()
    assert body["type"] == "Feature" and body["geometry"]["type"] == "MultiPolygon"
    assert body["properties"]["level"] == "grid" and 300 <= body["properties"]["households"] <= 500
    assert_error_shape(worker.get(f"/api/v1/areas/{other.id}"), 404)


def test_demo_grids_tile_the_street_without_overlap(demo):
    grids = [
        shape(json.loads(g))
        for g in db.session.execute(select(func.ST_AsGeoJSON(Area.geom)).where(Area.level == "grid")).scalars()
    ]
    street = shape(
        json.loads(db.session.execute(select(func.ST_AsGeoJSON(Area.geom)).where(Area.level == "street")).scalar())
    )
    assert len(grids) == 12 and all(g.is_valid for g in grids)
    assert sum(g.area for g in grids) == pytest.approx(street.area, rel=1e-9)
    for i, a in enumerate(grids):
        for b in grids[i + 1 :]:
            assert a.intersection(b).area < 1e-12


def test_import_grids_then_reimport_updates(blank_street):
    body = collection(
        feature(f"{COMMUNITY}001", box(120.200, 30.300, 120.205, 30.305), households=420),
        feature(f"{COMMUNITY}002", box(120.200, 30.305, 120.205, 30.310)),
    )
    first = blank_street.post(f"/api/v1/areas/import?level=grid&parent={COMMUNITY}", json=body)
    assert first.status_code == 201 and first.get_json()["created"] == 2
    again = blank_street.post(f"/api/v1/areas/import?level=grid&parent={COMMUNITY}", json=body)
    assert again.get_json() == {"created": 0, "updated": 2, "codes": [f"{COMMUNITY}001", f"{COMMUNITY}002"]}
    stored = db.session.execute(select(Area).where(Area.code == f"{COMMUNITY}001")).scalar_one()
    assert stored.households == 420 and stored.district_code == "330106"


def _refused(admin, body, level="grid", parent=COMMUNITY, status=422):
    before = area_count()
    response = admin.post(f"/api/v1/areas/import?level={level}&parent={parent}", json=body)
    error = assert_error_shape(response, status)
    assert area_count() == before
    return error


def test_self_intersecting_polygon_is_refused_with_reason(blank_street):
    bowtie = {
        "type": "Polygon",
        "coordinates": [
            [[120.200, 30.300], [120.204, 30.304], [120.204, 30.300], [120.200, 30.304], [120.200, 30.300]]
        ],
    }
    good = feature(f"{COMMUNITY}001", box(120.200, 30.305, 120.204, 30.309))
    error = _refused(blank_street, collection(good, feature(f"{COMMUNITY}002", bowtie)))
    [problem] = error["errors"]["features"]
    assert problem["index"] == 1 and problem["code"] == f"{COMMUNITY}002"
    assert problem["problem"] == "invalid_polygon" and "Self-intersection" in problem["detail"]


def test_polygon_outside_parent_is_refused(blank_street):
    error = _refused(blank_street, collection(feature(f"{COMMUNITY}001", box(120.204, 30.300, 120.208, 30.304))))
    [problem] = error["errors"]["features"]
    assert problem["problem"] == "outside_parent" and problem["code"] == f"{COMMUNITY}001"


def test_overlapping_siblings_are_refused(blank_street):
    error = _refused(
        blank_street,
        collection(
            feature(f"{COMMUNITY}001", box(120.200, 30.300, 120.204, 30.305)),
            feature(f"{COMMUNITY}002", box(120.202, 30.302, 120.205, 30.308)),
        ),
    )
    [problem] = error["errors"]["features"]
    assert problem["problem"] == "overlaps_sibling" and problem["index"] == 0
    assert f"{COMMUNITY}002" in problem["detail"]


def test_overlap_with_an_existing_sibling_is_refused(blank_street):
    ok = blank_street.post(
        f"/api/v1/areas/import?level=grid&parent={COMMUNITY}",
        json=collection(feature(f"{COMMUNITY}001", box(120.200, 30.300, 120.204, 30.305))),
    )
    assert ok.status_code == 201
    error = _refused(blank_street, collection(feature(f"{COMMUNITY}002", box(120.201, 30.301, 120.205, 30.306))))
    assert error["errors"]["features"][0]["problem"] == "overlaps_sibling"


def test_touching_siblings_within_tolerance_are_accepted(blank_street):
    # Shared edges digitised twice differ by a few centimetres; that must not block an import.
    body = collection(
        feature(f"{COMMUNITY}001", box(120.200, 30.300, 120.2025000003, 30.31)),
        feature(f"{COMMUNITY}002", box(120.2025, 30.300, 120.205, 30.31)),
    )
    assert blank_street.post(f"/api/v1/areas/import?level=grid&parent={COMMUNITY}", json=body).status_code == 201


@pytest.mark.parametrize(
    ("code", "fragment"),
    [
        ("33010609900101", "15 digits"),
        ("3301060990010010", "15 digits"),
        ("33010609900A001", "15 digits"),
        ("330106010001009", "parent code"),
    ],
)
def test_bad_codes_are_refused(blank_street, code, fragment):
    error = _refused(blank_street, collection(feature(code, box(120.200, 30.300, 120.204, 30.305))))
    assert fragment in error["errors"]["features"][0]["detail"]


def test_duplicate_code_in_file_and_missing_name(blank_street):
    error = _refused(
        blank_street,
        collection(
            feature(f"{COMMUNITY}001", box(120.200, 30.300, 120.202, 30.302)),
            feature(f"{COMMUNITY}001", box(120.203, 30.303, 120.204, 30.304)),
            {
                "type": "Feature",
                "properties": {"code": f"{COMMUNITY}003"},
                "geometry": box(120.2, 30.306, 120.201, 30.307).__geo_interface__,
            },
        ),
    )
    kinds = {(p["index"], p["problem"]) for p in error["errors"]["features"]}
    assert kinds == {(1, "duplicate_code"), (2, "bad_name")}


@pytest.mark.parametrize(
    "body",
    [
        [1, 2, 3],
        {"type": "Feature", "features": []},
        {"type": "FeatureCollection"},
        {"type": "FeatureCollection", "features": []},
        {"type": "FeatureCollection", "features": "many"},
    ],
)
def test_body_that_is_not_a_feature_collection(blank_street, body):
    _refused(blank_street, body)


@pytest.mark.parametrize(
    "geometry",
    [
        {"type": "Point", "coordinates": [120.2, 30.3]},
        {"type": "Polygon", "coordinates": [[[120.2, 30.3], [120.2]]]},
        {"type": "Polygon", "coordinates": [[[200, 30.3], [200, 30.4], [201, 30.4], [200, 30.3]]]},
        {"type": "Polygon", "coordinates": "x"},
        {"type": "Polygon"},
        None,
    ],
)
def test_malformed_geometry_names_the_feature(blank_street, geometry):
    error = _refused(blank_street, collection(feature(f"{COMMUNITY}001", geometry)))
    [problem] = error["errors"]["features"]
    assert problem["index"] == 0 and problem["problem"] == "bad_geometry"


def test_polygon_with_too_many_vertices_is_refused(blank_street, app):
    import math

    n = app.config["MAX_POLYGON_VERTICES"] + 10
    ring = [
        [120.2025 + 0.002 * math.cos(2 * math.pi * k / n), 30.305 + 0.002 * math.sin(2 * math.pi * k / n)]
        for k in range(n)
    ]
    error = _refused(
        blank_street, collection(feature(f"{COMMUNITY}001", {"type": "Polygon", "coordinates": [ring + [ring[0]]]}))
    )
    assert "vertices" in error["errors"]["features"][0]["detail"]


def test_only_admins_import(demo, login):
    response = login("demo-street").post(
        "/api/v1/areas/import?level=grid&parent=330106010001",
        json=collection(feature("330106010001009", box(120.2, 30.3, 120.21, 30.31))),
    )
    assert_error_shape(response, 403)


def test_unknown_parent_and_level_mismatch(admin):
    _refused(admin, collection(feature("330106098001001", box(120.2, 30.3, 120.21, 30.31))), parent="330106098001")
    _refused(
        admin, collection(feature("330106010001", box(120.2, 30.3, 120.21, 30.31))), level="grid", parent="330106010"
    )


def test_gcj02_import_is_converted_to_wgs84(blank_street):
    from patrol.geo import wgs84_to_gcj02

    wgs = box(120.2005, 30.3005, 120.2045, 30.3045)
    lon, lat = wgs84_to_gcj02([c[0] for c in wgs.exterior.coords], [c[1] for c in wgs.exterior.coords])
    gcj = {"type": "Polygon", "coordinates": [[[float(x), float(y)] for x, y in zip(lon, lat, strict=True)]]}
    response = blank_street.post(
        f"/api/v1/areas/import?level=grid&parent={COMMUNITY}&crs=gcj02",
        json=collection(feature(f"{COMMUNITY}001", gcj)),
    )
    assert response.status_code == 201, response.get_json()
    stored = shape(
        json.loads(
            db.session.execute(select(func.ST_AsGeoJSON(Area.geom, 9)).where(Area.code == f"{COMMUNITY}001")).scalar()
        )
    )
    assert stored.geoms[0].equals_exact(wgs, tolerance=1e-7)  # 1e-7° ≈ 1 cm


def test_import_cli(runner, blank_street, tmp_path):
    path = tmp_path / "grids.geojson"
    path.write_text(json.dumps(collection(feature(f"{COMMUNITY}001", box(120.200, 30.300, 120.204, 30.305)))))
    result = runner.invoke(args=["import-areas", str(path), "--level", "grid", "--parent", COMMUNITY])
    assert result.exit_code == 0, result.output
    assert "1 new" in result.output
    bad = tmp_path / "bad.geojson"
    bad.write_text(json.dumps(collection(feature(f"{COMMUNITY}002", box(120.206, 30.300, 120.209, 30.305)))))
    result = runner.invoke(args=["import-areas", str(bad), "--level", "grid", "--parent", COMMUNITY])
    assert result.exit_code == 1 and "outside_parent" in result.output
    junk = tmp_path / "junk.geojson"
    junk.write_text("not json")
    assert runner.invoke(args=["import-areas", str(junk), "--level", "grid", "--parent", COMMUNITY]).exit_code == 1


def test_import_is_audited(blank_street):
    entries = blank_street.get("/api/v1/audit?action=areas.import").get_json()
    by_admin = {e["detail"]["level"] for e in entries if e["actor_username"] == "demo-admin"}
    assert by_admin == {"street", "community"}
