"""Statistics responses of this feature: the burden ledger (JSON/CSV/XLSX) and joint patrol figures."""

from datetime import date
from decimal import Decimal

from patrol.tabular import table_response
from patrol.tasks import joint as joint_service
from patrol.tasks import ledger


def plain(value):
    """JSON-ready values: dates as ISO 8601, decimals as numbers."""
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


def ledger_response(user, period, from_day, to_day, format="json", grid_id=None, worker_id=None):
    """The burden ledger as JSON rows, CSV or XLSX."""
    rows = ledger.ledger_rows(user, period, from_day, to_day, grid_id, worker_id)
    if format != "json":
        rows = [{**row, "estimated_hours": float(row["estimated_hours"])} for row in rows]
    name = f"减负台账_{from_day.isoformat()}_{to_day.isoformat()}"
    title = f"减负台账（{'周' if period == 'week' else '月'}） {from_day} 至 {to_day}"
    result = table_response(format, rows, ledger.COLUMNS, name, sheet_name="减负台账", title=title)
    return plain(result) if format == "json" else result


def summary(user, from_day, to_day, grid_id=None):
    """Over-budget worker-weeks and the departments pushing the most."""
    return plain(ledger.ledger_summary(user, from_day, to_day, grid_id))


def joint(user, from_day, to_day, grid_id=None):
    """Joint patrol figures per grid and per worker."""
    return plain(joint_service.joint_figures(user, from_day, to_day, grid_id))
