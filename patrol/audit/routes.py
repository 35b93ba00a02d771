"""The audit log, read-only."""

from flask.views import MethodView
from flask_smorest import Blueprint

from patrol.audit import service
from patrol.audit.schemas import AuditEntryOut, AuditQuery
from patrol.auth import current_user
from patrol.replica import reads_from_replica

blp = Blueprint("audit", __name__, url_prefix="/api/v1/audit", description="审计日志 / audit log")


@blp.route("")
class AuditLog(MethodView):
    @reads_from_replica
    @blp.arguments(AuditQuery, location="query")
    @blp.response(200, AuditEntryOut(many=True))
    def get(self, query):
        """Audit entries in the caller's area, newest first; page with before_id."""
        return service.list_entries(current_user(), **query)
