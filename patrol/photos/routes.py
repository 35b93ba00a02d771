"""Photo upload and download (registered through patrol.incidents.routes)."""

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint

from patrol.auth import current_user
from patrol.photos import service
from patrol.photos.schemas import PhotoOut, PhotoQuery, PhotoUpload

blp = Blueprint("photos", __name__, url_prefix="/api/v1/photos", description="照片 / photos")


@blp.route("")
class Photos(MethodView):
    @blp.arguments(PhotoUpload, location="files")
    @blp.response(201, PhotoOut)
    def post(self, files):
        """Upload one photo (JPEG/PNG/WebP ≤ 10 MB); the id is the SHA-256 of the stored bytes."""
        return service.store_photo(current_user(), files["file"])


@blp.route("/<string:photo_id>")
class PhotoFile(MethodView):
    @blp.arguments(PhotoQuery, location="query")
    @blp.response(200, content_type="image/jpeg")
    def get(self, query, photo_id):
        """The photo (or its 320 px thumbnail) for its uploader and users who see a record using it."""
        data = service.read_photo(current_user(), photo_id, query["size"])
        return Response(
            data,
            mimetype="image/jpeg",
            headers={"Cache-Control": "private, max-age=86400, immutable", "ETag": f'"{photo_id}.{query["size"]}"'},
        )
