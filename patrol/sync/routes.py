"""POST /api/v1/sync/push and GET /api/v1/sync/pull."""

from flask.views import MethodView
from flask_smorest import Blueprint

from patrol.auth import current_user
from patrol.sync import service
from patrol.sync.schemas import PullOut, PullQuery, PushIn, PushOut

blp = Blueprint("sync", __name__, url_prefix="/api/v1/sync", description="离线同步 / offline sync")


@blp.route("/push")
class Push(MethodView):
    @blp.arguments(PushIn)
    @blp.response(200, PushOut)
    def post(self, body):
        """Apply a batch of the phone's operations; each answered applied, duplicate or rejected."""
        return service.push(current_user(), body["operations"])


@blp.route("/pull")
class Pull(MethodView):
    @blp.arguments(PullQuery, location="query")
    @blp.response(200, PullOut)
    def get(self, query):
        """What the phone needs for the caller's scope, changed after the cursor, and a new cursor."""
        return service.pull(current_user(), query["since"])
