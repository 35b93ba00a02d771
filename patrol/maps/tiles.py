"""Vector tiles of grids, tracks and incidents for one local day, scoped to the caller."""

import hashlib
from dataclasses import dataclass
from datetime import timedelta

from patrol.errors import Forbidden, Invalid, NotFound
from patrol.extensions import db
from patrol.localtime import local_midnight, today
from patrol.maps import queries
from patrol.maps.scope import map_scope

EARTH_CIRCUMFERENCE_M = 40075016.686
METRES_PER_DEGREE = 111320.0
MAX_ZOOM = 22
SCREEN_PIXELS = 512  # a vector tile is drawn 512 px wide


@dataclass(frozen=True)
class Tile:
    data: bytes
    etag: str
    max_age: int


def extent_for(z):
    """Tile extent: fine at street zooms, coarser when a tile covers a whole district."""
    if z >= 14:
        return 4096
    if z == 13:
        return 2048
    return 1024


def tolerance_for(z):
    """One screen pixel of a 512-pixel tile, in degrees: simplifying below it changes nothing visible."""
    return EARTH_CIRCUMFERENCE_M / (2**z) / SCREEN_PIXELS / METRES_PER_DEGREE


def check_address(layer, z, x, y):
    """404 for an unknown layer, 422 for a tile outside the pyramid."""
    if layer not in queries.LAYERS:
        raise NotFound("map.no_such_layer", {"layer": [f"one of {', '.join(queries.LAYERS)}"]})
    if not 0 <= z <= MAX_ZOOM:
        raise Invalid("map.zoom_out_of_range", {"z": [f"0..{MAX_ZOOM}"]})
    if not (0 <= x < 2**z and 0 <= y < 2**z):
        raise Invalid("map.tile_out_of_range", {"x": [f"0..{2**z - 1}"]})


def render_tile(user, layer, z, x, y, day=None):
    """The MVT bytes (empty when nothing is in the tile) with a strong ETag and a cache lifetime."""
    check_address(layer, z, x, y)
    scope = map_scope(user)
    if layer == "tracks" and scope.role == "department":
        raise Forbidden("map.departments_see_no_tracks")
    day = day or today()
    extent = extent_for(z)
    params = {
        **scope.params(),
        "z": z,
        "x": x,
        "y": y,
        "extent": extent,
        "tolerance": tolerance_for(z),
        "day": day,
        "day_start": local_midnight(day),
        "day_end": local_midnight(day + timedelta(days=1)),
    }
    data = bytes(db.session.execute(queries.layer_sql(layer, z), params).scalar() or b"")
    digest = hashlib.sha256(data).hexdigest()[:32]
    # Past days still change when a phone syncs late, so even they are cached only briefly.
    return Tile(data, digest, 60 if day >= today() else 300)
