"""GeoJSON <-> geometry, coordinate checks and WGS-84 / GCJ-02 conversion."""

import math
import warnings

import numpy as np
import shapely
from geoalchemy2.shape import from_shape, to_shape
from shapely.geometry import MultiPolygon, Point, Polygon, mapping, shape

SRID = 4326
# Mainland China, Hong Kong, Macao and Taiwan with a margin; a fix outside is a device error.
CHINA_BBOX = (73.0, 3.0, 136.0, 54.0)

_A = 6378245.0
_EE = 0.00669342162296594323


class GeometryError(ValueError):
    """The input is not the geometry it claims to be; the message says why."""


def in_china(lon, lat):
    """True when the point lies inside the China bounding box."""
    return CHINA_BBOX[0] <= lon <= CHINA_BBOX[2] and CHINA_BBOX[1] <= lat <= CHINA_BBOX[3]


def _transform_lat(x, y):
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    ret += (20.0 * np.sin(6.0 * x * math.pi) + 20.0 * np.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * np.sin(y * math.pi) + 40.0 * np.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (160.0 * np.sin(y / 12.0 * math.pi) + 320 * np.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return ret


def _transform_lon(x, y):
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    ret += (20.0 * np.sin(6.0 * x * math.pi) + 20.0 * np.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * np.sin(x * math.pi) + 40.0 * np.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (150.0 * np.sin(x / 12.0 * math.pi) + 300.0 * np.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return ret


def wgs84_to_gcj02(lon, lat):
    """Forward GCJ-02 offset (the published formula); arrays or scalars, identity outside China."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    dlat = _transform_lat(lon - 105.0, lat - 35.0)
    dlon = _transform_lon(lon - 105.0, lat - 35.0)
    radlat = lat / 180.0 * math.pi
    magic = 1 - _EE * np.sin(radlat) ** 2
    sqrtmagic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrtmagic) * math.pi)
    dlon = (dlon * 180.0) / (_A / sqrtmagic * np.cos(radlat) * math.pi)
    inside = (lon >= 72.004) & (lon <= 137.8347) & (lat >= 0.8293) & (lat <= 55.8271)
    return np.where(inside, lon + dlon, lon), np.where(inside, lat + dlat, lat)


def gcj02_to_wgs84(lon, lat, tolerance_deg=1e-9, max_iterations=30):
    """Inverse of wgs84_to_gcj02 by fixed-point iteration; converges to well under 0.5 m."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    guess_lon, guess_lat = lon.copy(), lat.copy()
    for _ in range(max_iterations):
        fwd_lon, fwd_lat = wgs84_to_gcj02(guess_lon, guess_lat)
        err_lon, err_lat = fwd_lon - lon, fwd_lat - lat
        guess_lon = guess_lon - err_lon
        guess_lat = guess_lat - err_lat
        if np.all(np.abs(err_lon) < tolerance_deg) and np.all(np.abs(err_lat) < tolerance_deg):
            break
    return guess_lon, guess_lat


def _apply_to_coords(geom, func):
    def transform(coords):
        lon, lat = func(coords[:, 0], coords[:, 1])
        return np.column_stack([lon, lat])

    return shapely.transform(geom, transform)


def to_wgs84(geom, crs):
    """Convert a geometry given in `crs` ('wgs84' or 'gcj02') to WGS-84."""
    if crs == "wgs84":
        return geom
    if crs == "gcj02":
        return _apply_to_coords(geom, gcj02_to_wgs84)
    raise GeometryError(f"unknown coordinate system {crs!r}; use wgs84 or gcj02")


def to_gcj02(geom):
    """WGS-84 geometry shifted to GCJ-02 for display on AMap/Tencent base maps."""
    return _apply_to_coords(geom, wgs84_to_gcj02)


def _check_coordinates(geom):
    coords = shapely.get_coordinates(geom)
    if coords.size == 0:
        raise GeometryError("geometry is empty")
    if not np.all(np.isfinite(coords)):
        raise GeometryError("coordinates must be finite numbers")
    lon, lat = coords[:, 0], coords[:, 1]
    if np.any(np.abs(lon) > 180) or np.any(np.abs(lat) > 90):
        raise GeometryError("coordinates out of range: longitude must be within ±180, latitude ±90")
    return coords


def parse_geometry(obj, allowed=("Polygon", "MultiPolygon"), max_vertices=None):
    """A GeoJSON geometry dict -> Shapely geometry, or GeometryError saying what is wrong."""
    if not isinstance(obj, dict):
        raise GeometryError("geometry must be a GeoJSON object")
    kind = obj.get("type")
    if kind not in allowed:
        raise GeometryError(f"geometry type must be one of {', '.join(allowed)}, got {kind!r}")
    if "coordinates" not in obj:
        raise GeometryError("geometry has no coordinates")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # NaN input; refused just below
            geom = shape(obj)
    except (TypeError, ValueError, IndexError, AttributeError, shapely.errors.GEOSException) as exc:
        raise GeometryError(f"malformed {kind} coordinates: {exc}") from None
    coords = _check_coordinates(geom)
    if max_vertices is not None and len(coords) > max_vertices:
        raise GeometryError(f"geometry has {len(coords)} vertices; at most {max_vertices} are accepted")
    return geom


def parse_point(obj):
    """A GeoJSON Point -> (lon, lat), rejecting out-of-range and non-China positions."""
    geom = parse_geometry(obj, allowed=("Point",))
    if not in_china(geom.x, geom.y):
        raise GeometryError("location is outside China")
    return geom


def as_multipolygon(geom):
    """Polygon -> MultiPolygon; MultiPolygon unchanged."""
    if isinstance(geom, Polygon):
        return MultiPolygon([geom])
    return geom


def to_db(geom):
    """Shapely -> GeoAlchemy2 WKBElement in EPSG:4326."""
    return from_shape(geom, srid=SRID)


def from_db(element):
    """GeoAlchemy2 element -> Shapely geometry, or None."""
    return None if element is None else to_shape(element)


def to_geojson(element_or_geom):
    """Stored geometry or Shapely geometry -> GeoJSON dict with coordinates rounded to ~1 cm."""
    geom = element_or_geom
    if geom is None:
        return None
    if not hasattr(geom, "geom_type"):
        geom = to_shape(geom)
    return mapping(geom)


def point(lon, lat):
    return Point(lon, lat)


def geometry_field(allowed=("Polygon", "MultiPolygon"), **kwargs):
    """A marshmallow field: GeoJSON in (validated, as Shapely), GeoJSON out (from stored geometry)."""
    from marshmallow import ValidationError, fields

    class GeoJSONGeometry(fields.Field):
        def _serialize(self, value, attr, obj, **kw):
            return to_geojson(value)

        def _deserialize(self, value, attr, data, **kw):
            try:
                return parse_geometry(value, allowed=allowed)
            except GeometryError as exc:
                raise ValidationError(str(exc)) from None

    return GeoJSONGeometry(metadata={"description": f"GeoJSON geometry ({', '.join(allowed)})"}, **kwargs)
