"""Builders shared by the people tests: valid invented ID numbers, points inside demo grids."""

from patrol.people.idcard import check_char

# Points well inside demo grids (see patrol/demo/street.py: 0.003° × 0.0058° cells from 120.12, 30.28).
GRID_1 = (120.1215, 30.2829)  # 330106010001001, demo-worker
GRID_2 = (120.1245, 30.2829)  # 330106010001002, demo-worker2
OTHER_COMMUNITY = (120.1275, 30.2829)  # 330106010002001, demo-worker5
OUTSIDE_STREET = (120.2000, 30.3500)


def id_number(birth="19800101", seq=1, region="330106"):
    first17 = f"{region}{birth}{seq:03d}"
    return first17 + check_char(first17)


def point(lon_lat):
    return {"type": "Point", "coordinates": list(lon_lat)}


def person_body(n=1, where=GRID_1, **overrides):
    body = {
        "name": f"测试人员{n}",
        "id_number": id_number(seq=n),
        "phone": f"1380000{n:04d}",
        "address": f"文溪路{n}号",
        "location": point(where),
        "categories": [{"category": "elderly_alone", "extra": {"living": "独居"}}],
    }
    body.update(overrides)
    return body
