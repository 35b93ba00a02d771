"""Duty list, pushed tasks, worker checklist, budgets, burden ledger, key places and joint patrols."""

from flask.views import MethodView
from flask_smorest import Blueprint

from patrol.auth import current_user
from patrol.tasks import admission, checklist, duty, joint, keyplaces, reports
from patrol.tasks.schemas import (
    BudgetIn,
    BudgetOut,
    CompletionIn,
    DecisionIn,
    DutyChangeOut,
    DutyListOut,
    DutyTypeIn,
    ItemOut,
    ItemsQuery,
    JointQuery,
    KeyPlaceCollection,
    KeyPlaceFeature,
    KeyPlaceIn,
    KeyPlacePatch,
    KeyPlaceQuery,
    LedgerQuery,
    NoteIn,
    NoteOut,
    ParticipantsIn,
    ParticipantsOut,
    PlaceStatusOut,
    RangeQuery,
    StreetQuery,
    TaskIn,
    TaskOut,
    TaskQuery,
)

blp = Blueprint("tasks", __name__, url_prefix="/api/v1/tasks", description="职责清单与事务准入 / duty list and tasks")


def _created(view, created):
    return view, 201 if created else 200


@blp.route("/duty-list")
class DutyList(MethodView):
    @blp.arguments(StreetQuery, location="query")
    @blp.response(200, DutyListOut)
    def get(self, query):
        """The street's duty list (patrols, incident reporting and visits are on it by default)."""
        return duty.get_duty_list(current_user(), query.get("street_id"))


@blp.route("/duty-list/history")
class DutyHistory(MethodView):
    @blp.arguments(StreetQuery, location="query")
    @blp.response(200, DutyChangeOut(many=True))
    def get(self, query):
        """Every version of the duty list: who changed which type, when, from what to what."""
        return duty.duty_history(current_user(), query.get("street_id"))


@blp.route("/duty-list/<string:code>")
class DutyTypeDetail(MethodView):
    @blp.arguments(StreetQuery, location="query")
    @blp.arguments(DutyTypeIn)
    @blp.response(200, DutyListOut)
    def put(self, query, body, code):
        """Add or change a type on the list (admins and street reviewers)."""
        return duty.put_duty_type(current_user(), code, body, query.get("street_id"))

    @blp.arguments(StreetQuery, location="query")
    @blp.response(200, DutyListOut)
    def delete(self, query, code):
        """Take a type off the list."""
        return duty.remove_duty_type(current_user(), code, query.get("street_id"))


@blp.route("")
class Tasks(MethodView):
    @blp.arguments(TaskQuery, location="query")
    @blp.response(200, TaskOut(many=True))
    def get(self, query):
        """Tasks the caller pushed, decides or works on."""
        return admission.list_tasks(current_user(), query.get("status"), query.get("street_id"))

    @blp.arguments(TaskIn)
    @blp.response(201, TaskOut)
    def post(self, body):
        """Push a task to the workers of some grids; unlisted or over-budget tasks wait for the street."""
        return _created(*admission.push_task(current_user(), body))


@blp.route("/<uuid:task_id>")
class TaskDetail(MethodView):
    @blp.response(200, TaskOut)
    def get(self, task_id):
        """One task with its checklist items."""
        return admission.get_task(current_user(), task_id)


@blp.route("/<uuid:task_id>/decision")
class TaskDecision(MethodView):
    @blp.arguments(DecisionIn)
    @blp.response(200, TaskOut)
    def post(self, body, task_id):
        """The street approves (accepting a budget overrun explicitly) or refuses with a reason."""
        return admission.decide_task(current_user(), task_id, body)


@blp.route("/items")
class Items(MethodView):
    @blp.arguments(ItemsQuery, location="query")
    @blp.response(200, ItemOut(many=True))
    def get(self, query):
        """The worker's checklist of open items (done ones too with include_done)."""
        return checklist.my_items(current_user(), query["include_done"])


@blp.route("/items/<int:item_id>/complete")
class ItemComplete(MethodView):
    @blp.arguments(CompletionIn)
    @blp.response(201, ItemOut)
    def post(self, body, item_id):
        """Complete an item in one tap (+ photo when required); a replay returns the original."""
        return _created(*checklist.complete_item(current_user(), item_id, body))


@blp.route("/budgets/<int:worker_id>")
class Budget(MethodView):
    @blp.arguments(BudgetIn)
    @blp.response(200, BudgetOut)
    def put(self, body, worker_id):
        """Set a worker's weekly budget of pushed-task minutes (the street)."""
        return admission.set_budget(current_user(), worker_id, body["weekly_minutes"])


@blp.route("/ledger")
class Ledger(MethodView):
    @blp.arguments(LedgerQuery, location="query")
    @blp.response(200)
    def get(self, query):
        """Burden ledger per week or month, worker, grid and source department; format=csv|xlsx."""
        return reports.ledger_response(current_user(), **query)


@blp.route("/ledger/summary")
class LedgerSummary(MethodView):
    @blp.arguments(RangeQuery, location="query")
    @blp.response(200)
    def get(self, query):
        """Worker-weeks over budget and the departments pushing the most."""
        return reports.summary(current_user(), **query)


@blp.route("/key-places")
class KeyPlaces(MethodView):
    @blp.arguments(KeyPlaceQuery, location="query")
    @blp.response(200, KeyPlaceCollection)
    def get(self, query):
        """Key places in the caller's scope as GeoJSON."""
        return {"features": keyplaces.list_key_places(current_user(), query.get("grid_id"))}

    @blp.arguments(KeyPlaceIn)
    @blp.response(201, KeyPlaceFeature)
    def post(self, body):
        """Add a key place (a point or small polygon inside a grid)."""
        return keyplaces.create_key_place(current_user(), body)


@blp.route("/key-places/<int:place_id>")
class KeyPlaceDetail(MethodView):
    @blp.arguments(KeyPlacePatch)
    @blp.response(200, KeyPlaceFeature)
    def patch(self, body, place_id):
        """Change or retire a key place."""
        return keyplaces.update_key_place(current_user(), place_id, body)


@blp.route("/key-places/<int:place_id>/notes")
class KeyPlaceNotes(MethodView):
    @blp.arguments(NoteIn)
    @blp.response(201, NoteOut)
    def post(self, body, place_id):
        """A one-tap note or photo at a key place (counts as a check that day)."""
        return _created(*keyplaces.note_key_place(current_user(), place_id, body))


@blp.route("/key-places/status")
class KeyPlaceStatus(MethodView):
    @blp.arguments(RangeQuery, location="query")
    @blp.response(200, PlaceStatusOut(many=True))
    def get(self, query):
        """Key places checked / due per grid and day."""
        return keyplaces.key_place_status(current_user(), query["from_day"], query["to_day"], query.get("grid_id"))


@blp.route("/key-places/missed")
class KeyPlacesMissed(MethodView):
    @blp.arguments(KeyPlaceQuery, location="query")
    @blp.response(200)
    def get(self, query):
        """Key places due today and not yet checked, as GeoJSON for the review map."""
        return keyplaces.missed_today(current_user(), query.get("grid_id"))


@blp.route("/patrols/<uuid:patrol_id>/participants")
class Participants(MethodView):
    @blp.response(200, ParticipantsOut)
    def get(self, patrol_id):
        """Who walked the patrol with its recording worker."""
        return joint.get_participants(current_user(), patrol_id)

    @blp.arguments(ParticipantsIn)
    @blp.response(200, ParticipantsOut)
    def put(self, body, patrol_id):
        """Set the participants of one's own patrol (team members, volunteers, other workers)."""
        return joint.set_participants(current_user(), patrol_id, body["participants"])[0]


@blp.route("/joint-patrols")
class JointPatrols(MethodView):
    @blp.arguments(JointQuery, location="query")
    @blp.response(200)
    def get(self, query):
        """Patrols and person-hours per grid; patrols credited per worker (own and joined)."""
        return reports.joint(current_user(), **query)
