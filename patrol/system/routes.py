"""Health, readiness, metrics and the HTML entry points."""

from flask import Blueprint as FlaskBlueprint
from flask import current_app, redirect, send_from_directory
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from patrol.system import monitoring, service

blp = Blueprint("system", __name__, url_prefix="/api/v1", description="运行状态 / health")
pages = FlaskBlueprint("pages", __name__)


class HealthOut(Schema):
    status = fields.String()
    database = fields.String()
    postgis = fields.String()
    time = fields.AwareDateTime()
    timezone = fields.String()


@blp.route("/health")
class Health(MethodView):
    @blp.response(200, HealthOut)
    @blp.doc(security=[])
    def get(self):
        """Liveness with database and PostGIS versions; 503 when the database is unreachable."""
        return service.health()


class ReadyOut(Schema):
    status = fields.String()
    migrations = fields.List(fields.String())


@blp.route("/ready")
class Ready(MethodView):
    @blp.response(200, ReadyOut)
    @blp.doc(security=[])
    def get(self):
        """Readiness: database reachable and migrations at the code's heads; 503 otherwise."""
        return service.readiness()


@pages.route("/metrics")
def metrics():
    """Prometheus metrics, for METRICS_ALLOW networks or the METRICS_TOKEN bearer only."""
    return monitoring.exposition()


@pages.route("/")
def index():
    return redirect("/app/")


@pages.route("/app/")
@pages.route("/app/<path:path>")
def worker_app(path="index.html"):
    """The worker PWA built into static/pwa/dist (index.html for client-side routes)."""
    return service.send_pwa_file(path)


@pages.route("/sw.js")
def service_worker():
    response = send_from_directory(current_app.static_folder + "/pwa/dist", "sw.js", max_age=0)
    response.headers["Service-Worker-Allowed"] = "/"
    return response
