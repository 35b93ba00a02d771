"""Vector tiles under /api/v1/tiles and OGC API - Features under /ogc."""

import json

from flask import Response, request
from flask.views import MethodView
from flask_smorest import Blueprint

from patrol.auth import current_user
from patrol.maps import ogc, tiles
from patrol.maps.schemas import ItemsQuery, OgcQuery, TileQuery
from patrol.replica import reads_from_replica

tiles_blp = Blueprint("tiles", __name__, url_prefix="/api/v1/tiles", description="矢量瓦片 / vector tiles")
ogc_blp = Blueprint("ogc", __name__, url_prefix="/ogc", description="OGC API - Features")


@ogc_blp.after_request
def _ogc_cache_control(response):
    """OGC answers depend on the caller's scope: shared caches must not keep them, clients revalidate."""
    response.headers["Cache-Control"] = "private, no-cache"
    response.headers.add("Vary", "Authorization")
    return response
blp = tiles_blp
blueprints = [tiles_blp, ogc_blp]

MVT = "application/vnd.mapbox-vector-tile"


@tiles_blp.route("/<string:layer>/<int:z>/<int:x>/<int:y>.mvt")
class TileView(MethodView):
    @reads_from_replica
    @tiles_blp.arguments(TileQuery, location="query")
    @tiles_blp.response(200, content_type=MVT)
    def get(self, query, layer, z, x, y):
        """A Mapbox Vector Tile of grids (with the day's compliance), tracks or incidents; 204 when empty."""
        tile = tiles.render_tile(current_user(), layer, z, x, y, query["date"])
        headers = {"ETag": f'"{tile.etag}"', "Cache-Control": f"private, max-age={tile.max_age}"}
        headers["Vary"] = "Authorization"
        if tile.etag in [tag.strip('"') for tag in request.if_none_match.as_set()]:
            return Response(status=304, headers=headers)
        if not tile.data:
            return Response(status=204, mimetype=MVT, headers=headers)  # empty tile, still a tile
        return Response(tile.data, mimetype=MVT, headers=headers)


def _json(body, media="application/json"):
    return Response(json.dumps(body, ensure_ascii=False), mimetype=media)


@ogc_blp.route("")
class Landing(MethodView):
    @reads_from_replica
    @ogc_blp.arguments(OgcQuery, location="query")
    @ogc_blp.response(200)
    def get(self, query):
        """Landing page."""
        current_user()
        return _json(ogc.landing())


@ogc_blp.route("/conformance")
class Conformance(MethodView):
    @ogc_blp.arguments(OgcQuery, location="query")
    @ogc_blp.response(200)
    def get(self, query):
        """Conformance classes."""
        current_user()
        return _json(ogc.conformance())


@ogc_blp.route("/collections")
class Collections(MethodView):
    @reads_from_replica
    @ogc_blp.arguments(OgcQuery, location="query")
    @ogc_blp.response(200)
    def get(self, query):
        """The collections the caller may read."""
        return _json(ogc.collections(current_user()))


@ogc_blp.route("/collections/<string:collection_id>")
class Collection(MethodView):
    @reads_from_replica
    @ogc_blp.arguments(OgcQuery, location="query")
    @ogc_blp.response(200)
    def get(self, query, collection_id):
        """One collection with its extent."""
        return _json(ogc.collection(current_user(), collection_id))


@ogc_blp.route("/collections/<string:collection_id>/items")
class Items(MethodView):
    @reads_from_replica
    @ogc_blp.arguments(ItemsQuery, location="query")
    @ogc_blp.response(200, content_type=ogc.GEOJSON)
    def get(self, query, collection_id):
        """Features as GeoJSON, filtered by bbox and datetime, paged by limit/offset with next/prev links."""
        body = ogc.items(
            current_user(), collection_id, query["bbox"], query["datetime"], query["limit"], query["offset"]
        )
        return _json(body, ogc.GEOJSON)


@ogc_blp.route("/collections/<string:collection_id>/items/<string:feature_id>")
class Item(MethodView):
    @reads_from_replica
    @ogc_blp.arguments(OgcQuery, location="query")
    @ogc_blp.response(200, content_type=ogc.GEOJSON)
    def get(self, query, collection_id, feature_id):
        """One feature."""
        return _json(ogc.item(current_user(), collection_id, feature_id), ogc.GEOJSON)
