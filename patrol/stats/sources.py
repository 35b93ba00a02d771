"""The figures of other features, through their own statistics services (and incident SQL of our own)."""

from patrol import messages
from patrol.extensions import db
from patrol.stats import queries
from patrol.stats.columns import STATUS_ZH


def compliance_by_grid(user, start, end, area_id):
    """一日双巡 compliance per grid from the patrols feature, with its miss reasons as text."""
    from patrol.patrols import published as patrols

    rows = patrols.compliance_rows(user, start, end, area_id, "grid")
    for row in rows:
        row["reasons_text"] = patrols.reasons_text(row["reasons"])
    return rows


def compliance_by_day(user, start, end, area_id=None):
    """Compliance per local day (dashboard series)."""
    from patrol.patrols import published as patrols

    return patrols.compliance_rows(user, start, end, area_id, "day")


def incident_indicators(user, start, end, area_id, group_by="category"):
    """按期结案率 and friends per category plus the total row (key None), from the incidents feature."""
    from patrol.incidents import published as incidents

    return incidents.indicators(user, start, end, area_id, group_by)


def incidents_by_category_and_status(window):
    """Incidents reported in the window per category, counted by their current status."""
    return [dict(row) for row in db.session.execute(queries.BY_CATEGORY_AND_STATUS, window).mappings()]


def overdue_incidents(window):
    """Incidents open past their deadline at the end of the window."""
    rows = [dict(row) for row in db.session.execute(queries.OVERDUE, window).mappings()]
    for row in rows:
        row["status"] = STATUS_ZH.get(row["status"], row["status"])
    return rows


def visits_by_category(user, start, end, area_id, group_by="category"):
    """Visits done, due, on time and overdue per person category, from the people feature."""
    from patrol.people import published as people

    return people.visit_stats(user, start, end, area_id, group_by, "json")


def mask_name(name):
    """'张三丰' -> '张**': the review pages and reports name nobody in full."""
    return (name[:1] + "*" * max(len(name) - 1, 1)) if name else ""


def overdue_visits(user, area_id=None, limit=500):
    """People overdue for a visit today, masked: grid, categories, due date, days overdue, location."""
    from patrol.people import published as people

    items = people.due_list(user, area_id, within_days=0, limit=limit)
    labels = messages.labels("people_category")
    return [
        {
            "person_id": item["person_id"],
            "name": mask_name(item["name"]),
            "grid_code": item["grid_code"],
            "categories": "、".join(labels.get(code, code) for code in item["categories"]),
            "attention_level": item["attention_level"],
            "due_date": item["due_date"],
            "days_overdue": item["days_overdue"],
            "location": item["location"],
        }
        for item in items
        if item["days_overdue"] > 0
    ]
