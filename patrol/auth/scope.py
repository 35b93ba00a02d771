"""Who may see which area: every feature filters its queries through these."""

from sqlalchemy import and_, func, literal, or_, select
from sqlalchemy.orm import aliased

from patrol.areas.models import Area, GridAssignment
from patrol.auth import roles
from patrol.errors import Forbidden
from patrol.localtime import today

# Who reads workers' GPS tracks and per-worker compliance: not departments (they handle cases, not people).
TRACK_READERS = roles.FIELD_AND_STAFF


def require_role(user, *roles):
    """Refuse unless the user has one of the roles."""
    if user.role not in roles:
        raise Forbidden("auth.role_not_allowed", {"role": user.role, "allowed": list(roles)})


def require_track_reader(user):
    """Refuse departments (and any role not listed) access to tracks and patrol compliance."""
    if user.role not in TRACK_READERS:
        raise Forbidden(
            "auth.departments_do_not_see",
            {"role": user.role, "allowed": list(TRACK_READERS)},
        )


def area_prefix(user):
    """The code prefix bounding what an area-bound user sees; None means everything (unbound admin)."""
    if user.role == "admin" and user.area is None:
        return None
    if user.area is None:
        return ""  # misconfigured account: sees nothing rather than everything
    return user.area.code


def active_assignment_clause(on_day=None):
    day = on_day or today()
    return and_(
        GridAssignment.start_date <= day,
        or_(GridAssignment.end_date.is_(None), GridAssignment.end_date >= day),
    )


def worker_grid_ids(user, on_day=None):
    """Select of the grid ids a worker holds on a day."""
    return select(GridAssignment.grid_id).where(GridAssignment.user_id == user.id, active_assignment_clause(on_day))


def visible_area_clause(user, area=Area):
    """SQL condition limiting `area` rows (street/community/grid) to what the user may see."""
    if user.role == "worker":
        held = aliased(Area)
        grid_codes = select(held.code).where(held.id.in_(worker_grid_ids(user))).subquery()
        # A worker also sees the community and street that contain their grids (for context).
        return or_(
            and_(area.level == "grid", area.code.in_(select(grid_codes.c.code))),
            and_(area.level == "community", area.code.in_(select(func.substr(grid_codes.c.code, 1, 12)))),
            and_(area.level == "street", area.code.in_(select(func.substr(grid_codes.c.code, 1, 9)))),
        )
    prefix = area_prefix(user)
    if prefix is None:
        return area.id.isnot(None)
    # Area-bound users see their own area, everything below it and the areas above it.
    return or_(area.code.startswith(prefix), _is_ancestor_of(area, prefix))


def _is_ancestor_of(area, prefix):
    if not prefix:
        return area.id.is_(None)
    ancestors = [prefix[:n] for n in (9, 12) if n < len(prefix)]
    return area.code.in_(ancestors) if ancestors else area.id.is_(None)


def visible_grid_ids(user):
    """Select of grid ids the user may see and act on."""
    if user.role == "worker":
        return worker_grid_ids(user)
    prefix = area_prefix(user)
    query = select(Area.id).where(Area.level == "grid")
    if prefix is not None:
        query = query.where(Area.code.startswith(prefix))
    return query


def can_access_grid(user, grid_id):
    """True when the grid is inside the user's scope (for a worker: assigned to them today)."""
    from patrol.extensions import db

    return bool(db.session.execute(select(literal(grid_id).in_(visible_grid_ids(user)))).scalar())


def require_grid(user, grid_id):
    """Refuse with 403 (not 404: the id is the caller's own input) unless the grid is in scope."""
    if not can_access_grid(user, grid_id):
        raise Forbidden("auth.grid_outside_area", {"grid_id": grid_id})


def covers_code(user, code):
    """True when an area code lies inside the user's area (for non-worker roles)."""
    prefix = area_prefix(user)
    return prefix is None or (bool(prefix) and code.startswith(prefix))
