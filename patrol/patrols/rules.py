"""Compliance rules: street rules, community overrides, defaults; shift windows."""

from datetime import datetime, time

from sqlalchemy import select

from patrol.areas.models import Area
from patrol.audit import service as audit
from patrol.auth.scope import covers_code, require_role, visible_grid_ids
from patrol.errors import Forbidden, Invalid, NotFound
from patrol.extensions import db
from patrol.localtime import to_local
from patrol.patrols.models import PatrolRule

DEFAULT_RULES = {
    "am_start": time(6, 0),
    "am_end": time(12, 0),
    "pm_start": time(12, 0),
    "pm_end": time(20, 0),
    "min_duration_min": 20,
    "min_inside_share": 0.6,
    "min_coverage": 0.25,
}
RULE_FIELDS = tuple(DEFAULT_RULES)


def effective_rules(area_code):
    """The rules in force for an area (grid, community or street code): community over street over default."""
    prefixes = [area_code[:n] for n in (9, 12) if len(area_code) >= n]
    rows = {
        r.area_code: r
        for r in db.session.execute(select(PatrolRule).where(PatrolRule.area_code.in_(prefixes))).scalars()
    }
    rules = dict(DEFAULT_RULES)
    for prefix in prefixes:  # street first, the community overrides it
        row = rows.get(prefix)
        if row is not None:
            rules.update({f: getattr(row, f) for f in RULE_FIELDS if getattr(row, f) is not None})
    return rules


def shift_for(moment: datetime, rules):
    """(shift, inside_window) for a start time: the window it falls in, else the nearer one."""
    clock = to_local(moment).time()
    if rules["am_start"] <= clock < rules["am_end"]:
        return "am", True
    if rules["pm_start"] <= clock < rules["pm_end"]:
        return "pm", True
    return ("am" if clock < rules["pm_start"] else "pm"), False


def _rule_area(area_id):
    area = db.session.get(Area, area_id)
    if area is None or area.level not in ("street", "community"):
        raise NotFound("patrol.no_such_street_or_community")
    return area


def get_rules(user, area_id):
    """The effective rules of an area in the caller's scope, and the overrides set on it."""
    area = db.session.get(Area, area_id)
    if area is None or not (_is_above(user, area) or _covers(user, area)):
        raise NotFound("patrol.no_such_area")
    return get_rules_unscoped(area)


def _covers(user, area):
    """Staff: the area lies in their own; workers: it is one of their grids or holds one."""
    if user.role != "worker":
        return covers_code(user, area.code)
    codes = db.session.execute(select(Area.code).where(Area.id.in_(visible_grid_ids(user)))).scalars()
    return any(code.startswith(area.code) for code in codes)


def _is_above(user, area):
    own = user.area.code if user.area else ""
    return bool(own) and own.startswith(area.code)


def set_rules(user, area_id, changes):
    """Set (or clear with null) a street's rules or a community's overrides; admins only."""
    if user is not None:
        require_role(user, "admin")
    area = _rule_area(area_id)
    if user is not None and not covers_code(user, area.code):
        raise Forbidden("patrol.area_outside_yours")
    row = db.session.execute(select(PatrolRule).where(PatrolRule.area_id == area.id)).scalar_one_or_none()
    if row is None:
        row = PatrolRule(area_id=area.id, area_code=area.code)
        db.session.add(row)
    for field, value in changes.items():
        setattr(row, field, value)
    row.updated_by = getattr(user, "id", None)
    _check_windows(effective_after(area.code, row))
    from patrol.patrols.queries import rejudge_area

    rejudge_area(area.code)
    audit.record(user, "patrols.rules", "area", area.id, area.code, {k: str(v) for k, v in changes.items()})
    db.session.commit()
    return get_rules_unscoped(area)


def effective_after(area_code, pending):
    """The rules of an area with the pending row applied (flushed, not committed)."""
    db.session.flush()
    return effective_rules(area_code)


def get_rules_unscoped(area):
    """The effective rules of an area and the overrides set on it, without a scope check."""
    row = db.session.execute(select(PatrolRule).where(PatrolRule.area_id == area.id)).scalar_one_or_none()
    own = {f: getattr(row, f) for f in RULE_FIELDS if row is not None and getattr(row, f) is not None}
    return {
        "area_id": area.id,
        "area_code": area.code,
        "level": area.level,
        "rules": effective_rules(area.code),
        "overrides": own,
    }


def _check_windows(rules):
    if not (rules["am_start"] < rules["am_end"] <= rules["pm_start"] < rules["pm_end"]):
        db.session.rollback()
        raise Invalid(
            "patrol.shift_windows_order",
            {"windows": [str(rules[k]) for k in ("am_start", "am_end", "pm_start", "pm_end")]},
        )
