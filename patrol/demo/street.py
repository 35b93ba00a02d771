"""The demo street: 3 communities × 4 grids tiling part of Hangzhou's Xihu district, plus users."""

import random

from shapely.geometry import Polygon, mapping
from shapely.ops import unary_union
from sqlalchemy import select

from patrol.areas import service as areas
from patrol.areas.models import Area, GridAssignment
from patrol.auth import service as auth
from patrol.auth.models import User
from patrol.extensions import db

STREET = {"code": "330106010", "name": "文溪街道（演示）"}
COMMUNITIES = [
    {"code": "330106010001", "name": "文溪社区"},
    {"code": "330106010002", "name": "竹苑社区"},
    {"code": "330106010003", "name": "桂花社区"},
]
ORIGIN = (120.1200, 30.2800)  # south-west corner, WGS-84
CELL = (0.0030, 0.0058)  # ~290 m × ~640 m per grid
COLUMNS, ROWS = 6, 2  # two columns of grids per community
JITTER = 0.00035


def _vertex(i, j):
    x, y = ORIGIN[0] + i * CELL[0], ORIGIN[1] + j * CELL[1]
    if 0 < i < COLUMNS and 0 < j < ROWS:
        rng = random.Random(f"v{i},{j}")
        x += rng.uniform(-JITTER, JITTER)
        y += rng.uniform(-JITTER, JITTER)
    elif 0 < i < COLUMNS:
        x += random.Random(f"v{i},{j}").uniform(-JITTER, JITTER)
    elif 0 < j < ROWS:
        y += random.Random(f"v{i},{j}").uniform(-JITTER, JITTER)
    return (round(x, 7), round(y, 7))


def _edge(a, b):
    """Points from corner a to corner b, with bends shared by both cells along the edge."""
    key = tuple(sorted((a, b)))
    (x0, y0), (x1, y1) = _vertex(*key[0]), _vertex(*key[1])
    on_boundary = (key[0][0] == key[1][0] in (0, COLUMNS)) or (key[0][1] == key[1][1] in (0, ROWS))
    rng = random.Random(f"e{key}")
    bends = []
    for t in (1 / 3, 2 / 3):
        bend = 0.0 if on_boundary else rng.uniform(-JITTER / 2, JITTER / 2)
        px, py = x0 + (x1 - x0) * t, y0 + (y1 - y0) * t
        if x0 == x1 or abs(x1 - x0) < abs(y1 - y0):
            px += bend
        else:
            py += bend
        bends.append((round(px, 7), round(py, 7)))
    points = [_vertex(*key[0]), *bends]
    return points if key[0] == a else [_vertex(*key[1]), *reversed(bends)]


def grid_polygon(i, j):
    corners = [(i, j), (i + 1, j), (i + 1, j + 1), (i, j + 1)]
    ring = []
    for a, b in zip(corners, corners[1:] + corners[:1], strict=True):
        ring.extend(_edge(a, b))
    return Polygon(ring)


def grid_layout():
    """[(community index, grid code, name, polygon)] for the 12 demo grids."""
    grids = []
    for c, community in enumerate(COMMUNITIES):
        seq = 0
        for j in range(ROWS):
            for i in (2 * c, 2 * c + 1):
                seq += 1
                code = f"{community['code']}{seq:03d}"
                grids.append((c, code, f"{community['name']}第{seq}网格", grid_polygon(i, j)))
    return grids


def _feature(code, name, polygon, households=None):
    props = {"code": code, "name": name}
    if households is not None:
        props["households"] = households
    return {"type": "Feature", "properties": props, "geometry": mapping(polygon)}


def _import(level, parent, features):
    if features:
        areas.import_areas(None, level, parent, {"type": "FeatureCollection", "features": features})


def seed_areas():
    """Create the street, communities and grids unless they exist."""
    layout = grid_layout()
    if areas.area_by_code(STREET["code"]) is None:
        street = unary_union([poly for _, _, _, poly in layout])
        _import("street", None, [_feature(STREET["code"], STREET["name"], street)])
    community_features = []
    for c, community in enumerate(COMMUNITIES):
        if areas.area_by_code(community["code"]) is None:
            shape = unary_union([poly for ci, _, _, poly in layout if ci == c])
            community_features.append(_feature(community["code"], community["name"], shape))
    _import("community", STREET["code"], community_features)
    for c, community in enumerate(COMMUNITIES):
        grid_features = [
            _feature(code, name, poly, random.Random(code).randint(300, 500))
            for ci, code, name, poly in layout
            if ci == c and areas.area_by_code(code) is None
        ]
        _import("grid", community["code"], grid_features)


def _ensure_user(username, password, role, full_name, area_code):
    user = db.session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    return user or auth.create_user(username, password, role, full_name, area_code)


WORKER_NAMES = ["张丽", "王建国", "李秀英", "刘洋", "陈静", "杨帆", "赵敏", "黄磊", "周婷", "吴斌", "徐芳", "孙强"]


def seed_users(password, start_date):
    """Demo logins and one worker per grid, assigned from start_date."""
    _ensure_user("demo-admin", password, "admin", "系统管理员", None)
    _ensure_user("demo-street", password, "street_reviewer", "街道综治中心", STREET["code"])
    _ensure_user("demo-community", password, "community_admin", "文溪社区工作站", COMMUNITIES[0]["code"])
    workers = []
    for n, (c, code, _, _) in enumerate(grid_layout(), start=1):
        username = "demo-worker" if n == 1 else f"demo-worker{n}"
        worker = _ensure_user(username, password, "worker", WORKER_NAMES[n - 1], COMMUNITIES[c]["code"])
        grid = areas.area_by_code(code)
        held = db.session.execute(
            select(GridAssignment.id).where(GridAssignment.user_id == worker.id, GridAssignment.grid_id == grid.id)
        ).first()
        if not held:
            db.session.add(GridAssignment(user_id=worker.id, grid_id=grid.id, start_date=start_date))
        workers.append((worker, grid))
    db.session.commit()
    return workers


def street_grids():
    return (
        db.session.execute(
            select(Area).where(Area.level == "grid", Area.code.startswith(STREET["code"])).order_by(Area.code)
        )
        .scalars()
        .all()
    )
