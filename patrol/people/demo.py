"""Demo people: about ten invented persons per grid, 30 days of visits, some of them overdue."""

import random
import uuid
from datetime import UTC, datetime, time, timedelta

from geoalchemy2.shape import to_shape
from shapely.geometry import Point
from sqlalchemy import func, select

from patrol.extensions import db
from patrol.localtime import tz
from patrol.people import categories as cats
from patrol.people import idcard, pii
from patrol.people.models import Person, PersonCategory, PersonWorker, Visit

NAMESPACE = uuid.UUID("6b1f9a4e-2d0c-4c55-9d1e-5f0d7f3a1c01")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程魏苏吕丁任沈"
GIVEN = "建国秀英桂兰玉梅志强海燕金凤德明丽华永红春生伟杰婷婷子涵浩然思远晓东雪梅文博一鸣欣怡雨轩宏伟淑珍"
# (category, extra, birth years) — the mix a typical urban grid ledger has
PROFILES = [
    ("elderly_alone", {"living": "独居"}, (1936, 1952)),
    ("elderly_alone", {"living": "空巢"}, (1940, 1955)),
    ("elderly_alone", {"living": "独居"}, (1938, 1950)),
    ("disabled", {"disability_type": "肢体", "disability_grade": 2}, (1960, 1990)),
    ("hardship_family", {"assistance_type": "低保"}, (1965, 1985)),
    ("severe_mental_disorder", {"risk_level": 3, "guardian": "家属"}, (1970, 1995)),
    ("released_prisoner", {"release_date": "2024-06-18", "original_offence": "盗窃"}, (1975, 1995)),
    ("community_correction", {"correction_type": "缓刑"}, (1980, 2000)),
    ("left_behind_child", {"guardian": "祖母", "school": "文溪小学"}, (2012, 2018)),
    ("key_youth", {"guardian": "父亲", "youth_type": "闲散青少年"}, (2006, 2009)),
]
STREETS = ["文溪路", "竹苑街", "桂花弄", "学院路", "文一路"]
METHODS = ["入户", "入户", "入户", "电话", "视频"]


def _id_number(rng, birth_years, seq):
    born = datetime(rng.randint(*birth_years), rng.randint(1, 12), rng.randint(1, 28))
    first17 = f"330106{born:%Y%m%d}{seq:03d}"
    return first17 + idcard.check_char(first17)


def _point_in(polygon, rng):
    minx, miny, maxx, maxy = polygon.bounds
    while True:
        candidate = Point(rng.uniform(minx, maxx), rng.uniform(miny, maxy))
        if polygon.contains(candidate):
            return candidate


def _person(rng, grid, polygon, worker, n, seq, registered_on):
    category, extra, years = PROFILES[n % len(PROFILES)]
    person = Person(
        name=rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, rng.choice((1, 2)))),
        address=f"{rng.choice(STREETS)}{rng.randint(1, 200)}号{rng.randint(1, 12)}幢{rng.randint(101, 1802)}室",
        registered_on=registered_on,
        notes="演示数据",
    )
    checked = {category: cats.validate_extra(category, extra)}
    if category == "elderly_alone" and n % 3 == 0:
        checked["disabled"] = cats.validate_extra("disabled", {"disability_type": "视力", "disability_grade": 3})
    person.attention_level = cats.default_attention(checked)
    pii.set_id_number(person, _id_number(rng, years, seq))
    pii.set_phone(person, f"1{rng.choice('35789')}{rng.randint(0, 999_999_999):09d}")
    spot = _point_in(polygon, rng)
    person.location = f"SRID=4326;POINT({spot.x:.7f} {spot.y:.7f})"
    person.grid_id, person.area_code, person.district_code = grid.id, grid.code, grid.district_code
    person.categories = [PersonCategory(category=c, extra=e) for c, e in checked.items()]
    person.workers = [PersonWorker(user_id=worker.id)]
    return person


def _interval(person):
    return min(cats.DEFAULT_INTERVALS[c.category][person.attention_level - 1] for c in person.categories)


def _visits(rng, person, worker, context, overdue):
    """Visits every ~interval days up to today; an overdue person's last visit (or registration) is too old."""
    interval = _interval(person)
    if overdue:
        person.registered_on = context.first_day - timedelta(days=max(interval - 30, 0) + rng.randint(5, 20))
        days = [context.first_day + timedelta(days=rng.randint(0, 10))] if interval < 30 else []
    else:
        person.registered_on = context.first_day - timedelta(days=5)
        day = context.first_day + timedelta(days=rng.randint(0, min(interval, 30) - 1))
        days = []
        while day <= context.last_day:
            days.append(day)
            day += timedelta(days=max(3, interval - rng.randint(1, 5)))
    for k, day in enumerate(days):
        at = datetime.combine(day, time(rng.randint(9, 16), rng.randint(0, 59)), tz()).astimezone(UTC)
        if at > datetime.now(UTC):
            continue
        yield Visit(
            id=uuid.uuid5(NAMESPACE, f"{person.area_code}-{person.name}-{k}-{day}"),
            person=person,
            worker_id=worker.id,
            grid_id=person.grid_id,
            area_code=person.area_code,
            district_code=person.district_code,
            visited_at=at,
            visit_date=day,
            location=person.location,
            method=rng.choice(METHODS),
            condition="需关注" if rng.random() < 0.1 else "正常",
            note="情况稳定，已了解近况" if rng.random() < 0.5 else None,
            photo_ids=[],
        )


def seed(context):
    """About ten people per demo grid with 30 days of visits; skips grids that already have people."""
    for index, (worker, grid) in enumerate(context.workers):
        if db.session.execute(select(func.count()).select_from(Person).where(Person.grid_id == grid.id)).scalar():
            continue
        rng = random.Random(f"people-{grid.code}")
        polygon = to_shape(grid.geom).geoms[0]
        for n in range(10):
            person = _person(
                rng, grid, polygon, worker, n, index * 10 + n + 100, context.first_day - timedelta(days=60)
            )
            db.session.add(person)
            db.session.add_all(list(_visits(rng, person, worker, context, overdue=n in (1, 5))))
    db.session.commit()
