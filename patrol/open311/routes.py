"""GeoReport v2 under /open311/v2 (its own formats and errors), and the JSON API of clients and deliveries."""

import re

from flask import Blueprint, request
from flask.views import MethodView
from flask_smorest import Blueprint as ApiBlueprint
from werkzeug.exceptions import HTTPException

from patrol.auth import current_user
from patrol.errors import DomainError
from patrol.incidents import service as incidents
from patrol.incidents import workflow
from patrol.open311 import clients, contact, outbox, reads, service
from patrol.open311.formats import Open311Error, error, render
from patrol.open311.schemas import (
    ClientIn,
    ClientOut,
    ClientPatch,
    DeliveryOut,
    DeliveryQuery,
    IssuedClientOut,
    RetryIn,
    RetryOut,
    RevealIn,
    RevealOut,
)

workflow.ACTION_HOOKS.append(outbox.enqueue)
incidents.DICT_HOOKS.append(reads.upstream_fields)

georeport = Blueprint("open311_georeport", __name__, url_prefix="/open311/v2")
FMT = "<any(json, xml):fmt>"
KNOWN = re.compile(r"^(services|requests|services/[^/]+|requests/[^/]+|tokens/[^/]+)\.(json|xml)$")


def _fmt():
    fmt = (request.view_args or {}).get("fmt")
    if fmt is None:
        fmt = "xml" if request.path.endswith(".xml") else "json"
    return fmt


@georeport.errorhandler(Open311Error)
def _spec_error(exc):
    return error(_fmt(), exc.status, exc.description, exc.code)


@georeport.errorhandler(DomainError)
def _domain_error(exc):
    response = error(_fmt(), exc.status_code, exc.message)
    response.headers.extend(exc.headers)
    return response


@georeport.errorhandler(HTTPException)
def _http_error(exc):
    return error(_fmt(), exc.code or 400, exc.description or exc.name)


@georeport.before_request
def _refuse_nul_characters():
    """PostgreSQL text cannot hold NUL: refuse it up front in the spec's format rather than at the database."""
    values = [*request.args.values(), *(request.view_args or {}).values()]
    if not request.is_json:
        values += list(request.form.values())
    if any("\x00" in str(value) for value in values):
        raise Open311Error(400, "NUL characters are not allowed")


def _form():
    """The POST fields: form-encoded as the spec says, or a JSON object (attribute: {code: value} allowed)."""
    if not request.is_json:
        return request.form
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise Open311Error(400, "the body must be form-encoded fields or a JSON object")
    fields = {}
    for key, value in body.items():
        if key == "attribute" and isinstance(value, dict):
            fields.update({f"attribute[{k}]": v for k, v in value.items()})
        else:
            fields[key] = value
    for key, value in fields.items():
        if isinstance(value, bool) or (value is not None and not isinstance(value, (str, int, float))):
            raise Open311Error(400, f"{key} must be a single value")
        if isinstance(value, str) and "\x00" in value:
            raise Open311Error(400, "NUL characters are not allowed")
    return {k: None if v is None else str(v) for k, v in fields.items()}


def _api_key(form=None):
    """The spec's api_key field or query parameter, or an X-Api-Key header (kept out of access logs)."""
    return (form or {}).get("api_key") or request.headers.get("X-Api-Key") or request.args.get("api_key")


@georeport.get(f"/services.{FMT}")
def services(fmt):
    return render(fmt, "services", service.services())


@georeport.get(f"/services/<code>.{FMT}")
def service_definition(code, fmt):
    return render(fmt, "service_definition", service.service_definition(code))


@georeport.post(f"/requests.{FMT}")
def post_request(fmt):
    form = _form()
    client = clients.authenticate(_api_key(form))
    order, created = service.create_request(client, form)
    return render(fmt, "requests", service.post_answer(order, created), 201 if created else 200)


@georeport.get(f"/requests.{FMT}")
def get_requests(fmt):
    client = clients.authenticate(_api_key())
    return render(fmt, "requests", reads.list_requests(client, request.args))


@georeport.get(f"/requests/<request_id>.{FMT}")
def get_request(request_id, fmt):
    client = clients.authenticate(_api_key())
    return render(fmt, "requests", reads.get_request(client, request_id))


@georeport.get(f"/tokens/<token>.{FMT}")
def get_token(token, fmt):
    client = clients.authenticate(_api_key())
    return render(fmt, "requests", reads.token_answer(client, token))


@georeport.route("/<path:rest>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
def unknown(rest):
    if KNOWN.match(rest):
        raise Open311Error(405, f"{request.method} is not allowed here")
    raise Open311Error(404, "no such resource (append .json or .xml)")


blp = ApiBlueprint("open311", __name__, url_prefix="/api/v1/open311", description="接诉即办 Open311 / upstream orders")


@blp.route("/clients")
class Clients(MethodView):
    @blp.response(200, ClientOut(many=True))
    def get(self):
        """Upstream clients (admin); keys and secrets are never shown again."""
        return [clients.client_dict(c) for c in clients.list_clients(current_user())]

    @blp.arguments(ClientIn)
    @blp.response(201, IssuedClientOut)
    def post(self, body):
        """Issue a client (admin): its api_key and signing secret are in this answer only."""
        client, api_key, secret = clients.create_client(current_user(), **body)
        return {**clients.client_dict(client), "api_key": api_key, "secret": secret}


@blp.route("/clients/<int:client_id>")
class ClientDetail(MethodView):
    @blp.arguments(ClientPatch)
    @blp.response(200, ClientOut)
    def patch(self, body, client_id):
        """Change a client's callback URL, area, minutes per order or active flag (admin)."""
        return clients.client_dict(clients.update_client(current_user(), client_id, body))


@blp.route("/deliveries")
class Deliveries(MethodView):
    @blp.arguments(DeliveryQuery, location="query")
    @blp.response(200, DeliveryOut(many=True))
    def get(self, query):
        """Results waiting to go back upstream, or failed (street reviewer, admin)."""
        return outbox.list_deliveries(current_user(), tuple(query["status"]))


@blp.route("/deliveries/retry")
class DeliveryRetry(MethodView):
    @blp.arguments(RetryIn)
    @blp.response(200, RetryOut)
    def post(self, body):
        """Send pending or failed deliveries again at the next run (street reviewer, admin)."""
        return outbox.retry(current_user(), body["ids"])


@blp.route("/requests/<uuid:incident_id>/reveal-contact")
class RevealContact(MethodView):
    @blp.arguments(RevealIn)
    @blp.response(200, RevealOut)
    def post(self, body, incident_id):
        """The caller's contact of a work order, with a reason; audited (street reviewer, admin)."""
        return contact.reveal(current_user(), incident_id, body["reason"])


blueprints = [blp]
