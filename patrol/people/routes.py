"""People registry, visits, due lists and visit statistics."""

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint

from patrol.auth import current_user
from patrol.people import categories, duplicates, ledger, reports, schedule, service, visits
from patrol.people.schemas import (
    DuplicateQuery,
    DuplicateResolveIn,
    LedgerFile,
    LedgerImportQuery,
    LedgerImportResult,
    PersonDuplicateOut,
    PersonIn,
    PersonOut,
    PersonPatch,
    PersonQuery,
    PersonRevealIn,
    PersonRevealOut,
)
from patrol.people.visit_schemas import (
    VisitDueItem,
    VisitDueQuery,
    VisitIn,
    VisitIntervalItem,
    VisitIntervalsIn,
    VisitOut,
    VisitQuery,
    VisitStatsQuery,
    VisitStatsRow,
)

blp = Blueprint("people", __name__, url_prefix="/api/v1/people", description="特殊人群 / special populations")
visits_blp = Blueprint("visits", __name__, url_prefix="/api/v1/visits", description="走访 / visits")
stats_blp = Blueprint("visit_stats", __name__, url_prefix="/api/v1/stats", description="走访统计 / visit statistics")
blueprints = [blp, visits_blp, stats_blp]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@blp.route("")
class People(MethodView):
    @blp.arguments(PersonQuery, location="query")
    @blp.response(200, PersonOut(many=True))
    def get(self, query):
        """People in the caller's area, masked; format=csv|xlsx exports (masked unless unmasked+reason)."""
        fmt, unmasked, reason = query.pop("format"), query.pop("unmasked"), query.pop("reason")
        user = current_user()
        if fmt != "json" or unmasked:
            query.pop("after_id"), query.pop("limit")
            return reports.export_people(user, fmt if fmt != "json" else "csv", unmasked, reason, **query)
        return service.views(service.list_people(user, **query))

    @blp.arguments(PersonIn)
    @blp.response(201, PersonOut)
    def post(self, body):
        """Register a person (community admin and up); the grid is found from the location."""
        return service.create_person(current_user(), body)


@blp.route("/duplicates")
class Duplicates(MethodView):
    @blp.arguments(DuplicateQuery, location="query")
    @blp.response(200, PersonDuplicateOut(many=True))
    def get(self, query):
        """ID numbers registered in two areas both in the caller's scope (street reviewer, admin)."""
        return duplicates.list_duplicates(current_user(), **query)


@blp.route("/duplicates/<int:duplicate_id>/resolve")
class DuplicateResolve(MethodView):
    @blp.arguments(DuplicateResolveIn)
    @blp.response(200, PersonDuplicateOut)
    def post(self, body, duplicate_id):
        """Resolve a duplicate: keep_both, or keep_one (the other record is deactivated); audited."""
        return duplicates.resolve(current_user(), duplicate_id, body)


@blp.route("/categories")
class Categories(MethodView):
    @blp.response(200)
    def get(self):
        """Categories (GB/T 31000 special populations and care categories) with their extra fields."""
        service.scope_of(current_user())
        return {"categories": categories.describe(), "attention_levels": categories.ATTENTION_LEVELS}


@blp.route("/<int:person_id>")
class PersonDetail(MethodView):
    @blp.response(200, PersonOut)
    def get(self, person_id):
        """One person, masked."""
        return service.person_view(service.get_person(current_user(), person_id))

    @blp.arguments(PersonPatch)
    @blp.response(200, PersonOut)
    def patch(self, body, person_id):
        """Change a person's record (community admin and up)."""
        return service.update_person(current_user(), person_id, body)


@blp.route("/<int:person_id>/reveal")
class Reveal(MethodView):
    @blp.arguments(PersonRevealIn)
    @blp.response(200, PersonRevealOut)
    def post(self, body, person_id):
        """The full ID number and phone, with a reason; audited (community admin and up)."""
        return service.reveal(current_user(), person_id, body["reason"])


@blp.route("/<int:person_id>/visits")
class PersonVisits(MethodView):
    @blp.response(200, VisitOut(many=True))
    def get(self, person_id):
        """The person's visits, newest first."""
        user = current_user()
        service.get_person(user, person_id)
        return visits.list_visits(user, person_id=person_id, limit=1000)


@blp.route("/import-template")
class ImportTemplate(MethodView):
    @blp.response(200, content_type=XLSX)
    def get(self):
        """The XLSX ledger template: Chinese headers, an example row, notes on each category."""
        service.scope_of(current_user())
        return Response(
            ledger.template_bytes(),
            mimetype=XLSX,
            headers={"Content-Disposition": "attachment; filename=\"people-template.xlsx\"; "
                     "filename*=UTF-8''%E7%89%B9%E6%AE%8A%E4%BA%BA%E7%BE%A4%E5%8F%B0%E8%B4%A6%E6%A8%A1%E6%9D%BF.xlsx"},
        )  # fmt: skip


@blp.route("/import")
class Import(MethodView):
    @blp.arguments(LedgerImportQuery, location="query")
    @blp.arguments(LedgerFile, location="files")
    @blp.response(200, LedgerImportResult)
    def post(self, query, files):
        """Import an XLSX ledger: dry_run=true reports every bad row; false stores all rows or none."""
        return ledger.import_ledger(current_user(), files["file"].stream, query["dry_run"])


@visits_blp.route("")
class Visits(MethodView):
    @visits_blp.arguments(VisitQuery, location="query")
    @visits_blp.response(200, VisitOut(many=True))
    def get(self, query):
        """Visits of people in the caller's area, newest first."""
        return visits.list_visits(current_user(), **query)

    @visits_blp.arguments(VisitIn)
    @visits_blp.response(201, VisitOut)
    def post(self, body):
        """Log a visit; the same id again returns the original visit (200)."""
        view, created = visits.log_visit(current_user(), body)
        return view, 201 if created else 200


@visits_blp.route("/<uuid:visit_id>")
class VisitDetail(MethodView):
    @visits_blp.response(200, VisitOut)
    def get(self, visit_id):
        """One visit."""
        return visits.get_visit(current_user(), visit_id)


@visits_blp.route("/due")
class Due(MethodView):
    @visits_blp.arguments(VisitDueQuery, location="query")
    @visits_blp.response(200, VisitDueItem(many=True))
    def get(self, query):
        """Overdue and soon-due people, most overdue first; with lon/lat, nearer first on the same day."""
        return schedule.due_list(current_user(), **query)


@visits_blp.route("/intervals")
class Intervals(MethodView):
    @visits_blp.response(200, VisitIntervalItem(many=True))
    def get(self):
        """Visit intervals by category and attention level."""
        return schedule.list_intervals(current_user())

    @visits_blp.arguments(VisitIntervalsIn)
    @visits_blp.response(200, VisitIntervalItem(many=True))
    def put(self, body):
        """Set visit intervals (admin)."""
        return schedule.set_intervals(current_user(), body["intervals"])


@stats_blp.route("/visits")
class VisitStats(MethodView):
    @stats_blp.arguments(VisitStatsQuery, location="query")
    @stats_blp.response(200, VisitStatsRow(many=True))
    def get(self, query):
        """Visits done, due, on time and overdue by category, grid or worker; format=csv|xlsx.

        Each visit (and the registration) makes the next visit due after the person's interval. Per group
        and local days [from, to]: done = visits made; due = due dates falling in the period; on_time = those
        met by the next visit on or before the date; overdue = met late, or still open and already past;
        on_time_rate = on_time / (on_time + overdue). Groups: category (a person counts in each of their
        categories), grid, or worker (the person's responsible workers). Active people only.
        """
        return reports.visit_stats(
            current_user(), query["from_day"], query["to_day"], query["area_id"], query["group_by"], query["format"]
        )
