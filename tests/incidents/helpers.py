"""Shared helpers for incident tests: the street's departments, a department user, points in grids."""

import io
import uuid

from PIL import Image
from sqlalchemy import func, select

from patrol.areas.models import Area
from patrol.auth import service as auth
from patrol.extensions import db
from patrol.incidents import catalog
from tests.conftest import DEMO_PASSWORD

STREET_CODE = "330106010"


def setup_departments():
    """Default categories and the demo street's departments; a handler user for 城管 and for 环卫."""
    catalog.seed_categories()
    street = db.session.execute(select(Area).where(Area.code == STREET_CODE)).scalar_one()
    departments = {d.code: d for d in catalog.seed_departments(street)}
    auth.create_user(
        "dept-chengguan",
        DEMO_PASSWORD,
        "department",
        "城管中队",
        STREET_CODE,
        department_id=departments["chengguan"].id,
    )
    auth.create_user(
        "dept-huanwei", DEMO_PASSWORD, "department", "环卫所", STREET_CODE, department_id=departments["huanwei"].id
    )
    return {code: d.id for code, d in departments.items()}


def point_in(grid_code, dx=0.0, dy=0.0):
    """A GeoJSON point inside the grid (a point on its surface, shifted by dx/dy degrees)."""
    lon, lat = db.session.execute(
        select(func.ST_X(func.ST_PointOnSurface(Area.geom)), func.ST_Y(func.ST_PointOnSurface(Area.geom))).where(
            Area.code == grid_code
        )
    ).one()
    return {"type": "Point", "coordinates": [lon + dx, lat + dy]}


def report_body(grid_code="330106010001001", category="0602", **extra):
    return {
        "id": str(uuid.uuid4()),
        "location": point_in(grid_code),
        "category": category,
        "description": "店铺占道经营 / shop blocking the pavement",
        **extra,
    }


def jpeg_bytes(size=(64, 48), color=(200, 30, 30)):
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "JPEG")
    return out.getvalue()


def upload(api, data, name="photo.jpg"):
    """POST /photos with a hand-built multipart body (the test client's own spools large bodies to
    a temporary file it never closes, which filterwarnings=error turns into a failure)."""
    boundary = "gridpatrol-test-boundary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return api.post("/api/v1/photos", data=body, content_type=f"multipart/form-data; boundary={boundary}")
