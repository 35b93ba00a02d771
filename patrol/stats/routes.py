"""Reports, exports and the review page with its data endpoints."""

import os
from datetime import timedelta

from flask import current_app, send_from_directory
from flask.views import MethodView
from flask_smorest import Blueprint

from patrol.auth import current_user
from patrol.errors import NotFound
from patrol.replica import reads_from_replica
from patrol.stats import dashboard, exports, render, reports
from patrol.stats.schemas import (
    AreaQuery,
    DayQuery,
    GpxQuery,
    RangeQuery,
    ReportQuery,
    TableExportQuery,
    day_or_today,
)

reports_blp = Blueprint("reports", __name__, url_prefix="/api/v1/reports", description="报表 / reports")
exports_blp = Blueprint("exports", __name__, url_prefix="/api/v1/exports", description="导出 / exports")
review_blp = Blueprint("review", __name__, url_prefix="/api/v1/review", description="街道审阅 / review page data")
page_blp = Blueprint("review_page", __name__, url_prefix="/review")
blp = reports_blp
blueprints = [reports_blp, exports_blp, review_blp, page_blp]

PERIODS = ("day", "week", "month")


def _range(query, default_days=30):
    to = query["to"] or day_or_today(None)
    return query["from_"] or to - timedelta(days=default_days - 1), to


@reports_blp.route("/<any(day, week, month):period>")
class Report(MethodView):
    @reports_blp.arguments(ReportQuery, location="query")
    @reports_blp.response(200)
    def get(self, query, period):
        """日报/周报/月报 for a street or community: JSON, printable HTML or XLSX (files are audited)."""
        user = current_user()
        report = reports.build_report(user, period, day_or_today(query["date"]), query["area_id"])
        if query["format"] == "json":
            return render.as_json(report)
        reports.audit_download(user, report, query["format"])
        return render.as_html(report) if query["format"] == "html" else render.as_xlsx(report)


@exports_blp.route("/<any(compliance, incidents, visits):table>")
class TableExport(MethodView):
    @exports_blp.arguments(TableExportQuery, location="query")
    @exports_blp.response(200, content_type="application/octet-stream")
    def get(self, query, table):
        """Compliance per grid, incident indicators per category or visits per category as CSV/XLSX (audited)."""
        date_from, date_to = _range(query)
        return exports.export_table(current_user(), table, query["format"], date_from, date_to, query["area_id"])


@exports_blp.route("/workbook.xlsx")
class WorkbookExport(MethodView):
    @exports_blp.arguments(RangeQuery, location="query")
    @exports_blp.response(200, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    def get(self, query):
        """The three statistics tables in one workbook, one sheet each (audited)."""
        date_from, date_to = _range(query)
        return exports.export_workbook(current_user(), date_from, date_to, query["area_id"])


@exports_blp.route("/tracks.gpx")
class TracksExport(MethodView):
    @exports_blp.arguments(GpxQuery, location="query")
    @exports_blp.response(200, content_type="application/gpx+xml")
    def get(self, query):
        """The day's patrol tracks as GPX 1.1, one track per patrol (audited)."""
        return exports.export_tracks_gpx(current_user(), query["date"], query["grid_id"])


@exports_blp.route("/layers/<any(grids, tracks, incidents):layer>.geojson")
class LayerExport(MethodView):
    @exports_blp.arguments(DayQuery, location="query")
    @exports_blp.response(200, content_type="application/geo+json")
    def get(self, query, layer):
        """A map layer of the day as GeoJSON, without personal data (audited)."""
        return exports.export_layer(current_user(), layer, query["date"])


@review_blp.route("/context")
class Context(MethodView):
    @reads_from_replica
    @review_blp.arguments(DayQuery, location="query")
    @review_blp.response(200)
    def get(self, query):
        """The caller and the filter choices: communities, grids, workers, categories, statuses."""
        return dashboard.context(current_user(), day_or_today(query["date"]))


@review_blp.route("/dashboard")
class Dashboard(MethodView):
    @reads_from_replica
    @review_blp.arguments(RangeQuery, location="query")
    @review_blp.response(200)
    def get(self, query):
        """Chart series over a date range (default the last 30 days)."""
        date_from, date_to = _range(query)
        return dashboard.dashboard(current_user(), date_from, date_to, query["area_id"])


@review_blp.route("/grids/<int:grid_id>/day")
class GridDay(MethodView):
    @reads_from_replica
    @review_blp.arguments(DayQuery, location="query")
    @review_blp.response(200)
    def get(self, query, grid_id):
        """A grid's day: patrols with figures and reasons, incidents, visits (masked)."""
        return dashboard.grid_day(current_user(), grid_id, day_or_today(query["date"]))


@review_blp.route("/patrols/<uuid:patrol_id>/replay")
class Replay(MethodView):
    @reads_from_replica
    @review_blp.response(200)
    def get(self, patrol_id):
        """One patrol's clean fixes in time order for replaying its track."""
        return dashboard.replay(current_user(), patrol_id)


@review_blp.route("/overdue-people")
class OverduePeople(MethodView):
    @reads_from_replica
    @review_blp.arguments(AreaQuery, location="query")
    @review_blp.response(200)
    def get(self, query):
        """People overdue for a visit as masked GeoJSON points."""
        return dashboard.overdue_people(current_user(), query["area_id"])


@page_blp.route("/")
@page_blp.route("/<path:path>")
def review_page(path="index.html"):
    """The review page built into static/review/dist (assets cached for a year: their names carry a hash)."""
    root = os.path.normpath(os.path.join(current_app.static_folder, "review", "dist"))
    full = os.path.normpath(os.path.join(root, path))
    if not full.startswith(root + os.sep) or not os.path.isfile(full):
        if "." in os.path.basename(path) or not os.path.isfile(os.path.join(root, "index.html")):
            raise NotFound("report.review_page_not_built")
        path = "index.html"
    return send_from_directory(root, path, max_age=31536000 if path.startswith("assets/") else 0)
