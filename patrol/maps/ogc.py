"""OGC API - Features (Part 1: Core, GeoJSON) over grids, incidents and patrols, for QGIS and GDAL."""

import json
import math
from datetime import date, datetime, time, timedelta

from flask import request

from patrol.errors import BadRequest, Forbidden, NotFound
from patrol.extensions import db
from patrol.fields import parse_day, parse_instant
from patrol.localtime import local_midnight, tz, utcnow
from patrol.maps import ogc_queries
from patrol.maps.scope import map_scope
from patrol.system.public_urls import public_url

CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
]
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
GEOJSON = "application/geo+json"
MAX_LIMIT = 1000
OPENAPI = "application/vnd.oai.openapi+json;version=3.0"


def _link(href, rel, media="application/json", title=None):
    link = {"href": href, "rel": rel, "type": media}
    if title:
        link["title"] = title
    return link


def landing():
    """Landing page: links to the API description, conformance and collections."""
    return {
        "title": "GridPatrol 网格巡查 OGC API - Features",
        "description": "网格、事件与巡查图层 / grids, incidents and patrols",
        "links": [
            _link(public_url("ogc.Landing"), "self"),
            _link(public_url("api-docs.openapi_json"), "service-desc", OPENAPI),
            _link(public_url("ogc.Conformance"), "conformance"),
            _link(public_url("ogc.Collections"), "data"),
        ],
    }


def conformance():
    """The conformance classes implemented."""
    return {"conformsTo": CONFORMANCE}


def _check_collection(user, name):
    if name not in ogc_queries.COLLECTIONS:
        names = ", ".join(ogc_queries.COLLECTIONS)
        raise NotFound("map.no_such_collection", {"collection": [f"one of {names}"]})
    scope = map_scope(user)
    if name == "patrols" and scope.role == "department":
        raise Forbidden("map.departments_see_no_patrols")
    return scope


def _empty_filters():
    return {"has_bbox": False, "minx": 0, "miny": 0, "maxx": 0, "maxy": 0, "t_start": None, "t_end": None}


def collection(user, name):
    """One collection's description with its extent in the caller's scope."""
    scope = _check_collection(user, name)
    meta = ogc_queries.COLLECTIONS[name]
    row = db.session.execute(ogc_queries.extent_sql(name), {**scope.params(), **_empty_filters()}).mappings().one()
    extent = {}
    if row["minx"] is not None:
        extent["spatial"] = {"bbox": [[row["minx"], row["miny"], row["maxx"], row["maxy"]]], "crs": CRS84}
    if meta["time"]:
        extent["temporal"] = {
            "interval": [[_iso(row["lo"]), _iso(row["hi"])]],
            "trs": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian",
        }
    items = public_url("ogc.Items", collection_id=name)
    return {
        "id": name,
        "title": meta["title"],
        "description": meta["description"],
        "itemType": "feature",
        "crs": [CRS84],
        "extent": extent,
        "links": [
            _link(public_url("ogc.Collection", collection_id=name), "self"),
            _link(items, "items", GEOJSON, meta["title"]),
        ],
    }


def collections(user):
    """Every collection the caller may open."""
    names = [n for n in ogc_queries.COLLECTIONS if not (n == "patrols" and user.role == "department")]
    return {
        "links": [_link(public_url("ogc.Collections"), "self")],
        "collections": [collection(user, name) for name in names],
    }


def parse_bbox(raw):
    """'minx,miny,maxx,maxy' in CRS84 -> bound parameters; 400 when malformed."""
    if raw is None:
        return {"has_bbox": False, "minx": 0, "miny": 0, "maxx": 0, "maxy": 0}
    try:
        values = [float(v) for v in raw.split(",")]
    except ValueError:
        values = []
    ok = len(values) == 4 and all(math.isfinite(v) for v in values)
    if ok:
        minx, miny, maxx, maxy = values
        ok = -180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90
    if not ok:
        raise BadRequest("map.bbox_format", {"bbox": [raw]})
    return {"has_bbox": True, "minx": minx, "miny": miny, "maxx": maxx, "maxy": maxy}


def _instant(text, end):
    if text in ("", ".."):
        return None
    try:
        if len(text) == 10:
            day = parse_day(text)
            return local_midnight(day + timedelta(days=1)) - timedelta(microseconds=1) if end else local_midnight(day)
        moment = parse_instant(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return False
    return moment if moment.tzinfo else moment.replace(tzinfo=tz())


def parse_datetime(raw):
    """An RFC 3339 instant, a local date, or an interval 'a/b' ('..' = open end) -> bound parameters."""
    if raw is None:
        return {"t_start": None, "t_end": None}
    start_text, sep, end_text = raw.partition("/")
    if sep:
        start, end = _instant(start_text, end=False), _instant(end_text, end=True)
    else:
        start, end = _instant(start_text, end=False), _instant(start_text, end=True)
    if start is False or end is False or (not sep and start is None) or (start and end and start > end):
        raise BadRequest("map.datetime_format", {"datetime": [raw]})
    return {"t_start": start, "t_end": end}


def _iso(value):
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (date, time)):
        return value.isoformat()
    return value


def feature(name, row):
    """A GeoJSON Feature from a query row."""
    properties = {k: _iso(v) for k, v in row.items() if k not in ("fid", "geometry")}
    geometry = json.loads(row["geometry"]) if row["geometry"] else None
    return {"type": "Feature", "id": row["fid"], "geometry": geometry, "properties": properties}


def _page_link(name, rel, offset, limit):
    args = {k: v for k, v in request.args.items() if k not in ("offset", "limit")}
    href = public_url("ogc.Items", collection_id=name, **args, limit=limit, offset=offset)
    return _link(href, rel, GEOJSON)


def items(user, name, bbox=None, datetime_=None, limit=10, offset=0):
    """A page of features as a FeatureCollection with numberMatched and next/prev links."""
    scope = _check_collection(user, name)
    limit = min(limit, MAX_LIMIT)
    params = {**scope.params(), **parse_bbox(bbox), **parse_datetime(datetime_), "limit": limit, "offset": offset}
    if not ogc_queries.COLLECTIONS[name]["time"]:
        params.update(t_start=None, t_end=None)
    rows = db.session.execute(ogc_queries.items_sql(name), params).mappings().all()
    matched = db.session.execute(ogc_queries.count_sql(name), params).scalar()
    links = [_page_link(name, "self", offset, limit)]
    if offset + len(rows) < matched:
        links.append(_page_link(name, "next", offset + limit, limit))
    if offset > 0:
        links.append(_page_link(name, "prev", max(offset - limit, 0), limit))
    return {
        "type": "FeatureCollection",
        "features": [feature(name, row) for row in rows],
        "numberMatched": matched,
        "numberReturned": len(rows),
        "timeStamp": utcnow().isoformat(),
        "links": links,
    }


def item(user, name, feature_id):
    """One feature of the collection in the caller's scope; 404 otherwise."""
    scope = _check_collection(user, name)
    params = {**scope.params(), **_empty_filters(), "fid": feature_id}
    row = db.session.execute(ogc_queries.one_sql(name), params).mappings().first()
    if row is None:
        raise NotFound("map.no_such_feature")
    found = feature(name, row)
    found["links"] = [
        _link(public_url("ogc.Item", collection_id=name, feature_id=feature_id), "self", GEOJSON),
        _link(public_url("ogc.Collection", collection_id=name), "collection"),
    ]
    return found
