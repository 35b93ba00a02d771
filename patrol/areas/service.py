"""Areas: listing in scope, validated all-or-nothing import, worker assignment."""

import re

from flask import current_app
from sqlalchemy import select

from patrol import messages
from patrol.areas import queries
from patrol.areas.models import CODE_LENGTH, PARENT_LEVEL, Area, GridAssignment
from patrol.audit import service as audit
from patrol.auth.models import User
from patrol.auth.scope import covers_code, require_role, visible_area_clause
from patrol.errors import Conflict, Forbidden, Invalid, NotFound
from patrol.extensions import db
from patrol.geo import GeometryError, as_multipolygon, parse_geometry, to_db, to_wgs84
from patrol.localtime import today

CHILD_LEVEL = {parent: child for child, parent in PARENT_LEVEL.items()}  # street → community → grid


def list_areas(user, level=None, parent=None):
    """Areas the user may see, optionally one level and/or the children of one parent code."""
    query = select(Area).where(visible_area_clause(user)).order_by(Area.code)
    if level:
        query = query.where(Area.level == level)
    if parent:
        parent_area = db.session.execute(select(Area).where(Area.code == parent)).scalar_one_or_none()
        if parent_area is None:
            return []
        query = query.where(Area.parent_id == parent_area.id)
    return db.session.execute(query).scalars().all()


def get_area(user, area_id):
    """One area in the user's scope; 404 otherwise, so ids outside the scope reveal nothing."""
    area = db.session.execute(select(Area).where(Area.id == area_id, visible_area_clause(user))).scalar_one_or_none()
    if area is None:
        raise NotFound("area.no_such_area")
    return area


def area_by_code(code):
    return db.session.execute(select(Area).where(Area.code == code)).scalar_one_or_none()


def import_areas(user, level, parent_code, collection, crs="wgs84"):
    """Import one level of areas under a parent, optionally with the children of the imported areas
    (a street with its communities, a community with its grids); refuse the whole file if anything is wrong.

    Re-importing an area whose new boundary leaves existing children outside it is refused naming them,
    unless those children come in the same file and fit.
    """
    if user is not None:
        require_role(user, "admin")
    parent = _import_parent(level, parent_code)
    parsed, children, problems = _parse_features(collection["features"], level, parent, crs)
    total = len(problems)
    if not problems:
        problems, total = _spatial_problems(parsed, children, level, parent)
    if problems:
        db.session.rollback()
        raise Invalid(
            "area.import_refused_problem_s",
            {"features": problems[: queries.MAX_LISTED_PROBLEMS], "features_total": total}, total=total,
        )
    created = sum(1 for _, props, _ in parsed + children if props.pop("_created"))
    updated = len(parsed) + len(children) - created
    audit.record(
        user, "areas.import", "area", parent_code, parent_code, {"level": level, "created": created, "updated": updated}
    )
    db.session.commit()
    return {"created": created, "updated": updated, "codes": [props["code"] for _, props, _ in parsed + children]}


def _spatial_problems(parsed, children, level, parent):
    """Check and store (unflushed changes are rolled back by the caller on problems) level by level."""
    tolerance = current_app.config["AREA_TOLERANCE_M2"]
    problems, total = queries.import_problems(
        [(index, props["code"], geom) for index, props, geom in parsed], level, parent.id if parent else None, tolerance
    )
    if problems:
        return problems, total
    stored = _store_areas(parsed, level, parent)
    child_level = CHILD_LEVEL.get(level)
    for code, area in stored.items():
        mine = [c for c in children if c[1]["code"].startswith(code)]
        if mine:
            problems, total = queries.import_problems(
                [(index, props["code"], geom) for index, props, geom in mine], child_level, area.id, tolerance
            )
            if problems:
                return problems, total
            _store_areas(mine, child_level, area)
    return queries.children_outside({index: props["code"] for index, props, _ in parsed}, level, tolerance)


def _import_parent(level, parent_code):
    if level == "street":
        if parent_code:
            raise Invalid("area.street_no_parent", {"parent": [messages.text("field.empty_for_streets")]})
        return None
    if not parent_code:
        raise Invalid("area.parent_code_required", {"parent": [messages.text("field.required_for_level")]})
    parent = area_by_code(parent_code)
    if parent is None or parent.level != PARENT_LEVEL[level]:
        raise Invalid(
            "area.parent_not_found",
            {"parent": [messages.text("field.unknown_parent")]},
            parent_code=parent_code,
            parent_level=PARENT_LEVEL[level],
        )
    return parent


def _parse_features(features, level, parent, crs):
    """(features of the level, features of their children, problems) with geometries in WGS-84."""
    parsed, children, problems, seen = [], [], [], {}
    max_vertices = current_app.config["MAX_POLYGON_VERTICES"]
    own_codes = {_feature_code(f) for f in features if len(_feature_code(f) or "") == CODE_LENGTH[level]}
    for index, feature in enumerate(features):
        code = _feature_code(feature)

        def problem(kind, detail, index=index, code=code):
            problems.append({"index": index, "code": code, "problem": kind, "detail": detail})

        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            problem("not_a_feature", "each item of features must be a GeoJSON Feature")
            continue
        props = feature.get("properties")
        if not isinstance(props, dict):
            problem("missing_properties", "properties with code and name are required")
            continue
        child = CHILD_LEVEL.get(level) and len(str(props.get("code") or "")) == CODE_LENGTH[CHILD_LEVEL[level]]
        props_problem = _check_child(props, level, own_codes) if child else _check_properties(props, level, parent)
        if props_problem:
            problem(*props_problem)
            continue
        if code in seen:
            problem("duplicate_code", f"code repeated from feature {seen[code]}")
            continue
        seen[code] = index
        try:
            geom = to_wgs84(parse_geometry(feature.get("geometry"), max_vertices=max_vertices), crs)
        except GeometryError as exc:
            problem("bad_geometry", str(exc))
            continue
        (children if child else parsed).append((index, props, as_multipolygon(geom)))
    return parsed, children, problems


def _feature_code(feature):
    if isinstance(feature, dict) and isinstance(feature.get("properties"), dict):
        code = feature["properties"].get("code")
        return str(code) if code is not None else None
    return None


def _check_properties(props, level, parent):
    code, name, households = props.get("code"), props.get("name"), props.get("households")
    if not isinstance(code, str) or not re.fullmatch(r"\d+", code) or len(code) != CODE_LENGTH[level]:
        return "bad_code", f"code must be a string of {CODE_LENGTH[level]} digits for a {level}"
    if parent is not None and not code.startswith(parent.code):
        return "bad_code", f"code must start with the parent code {parent.code}"
    if not isinstance(name, str) or not name.strip() or len(name) > 100:
        return "bad_name", "name is required (at most 100 characters)"
    if households is not None and (
        not isinstance(households, int) or isinstance(households, bool) or not 0 <= households <= 1_000_000
    ):
        return "bad_households", "households must be a whole number from 0 to 1,000,000"
    return None


def _check_child(props, level, own_codes):
    """A child of an area imported in the same file: its code starts with that area's code."""
    code = props["code"]
    if not isinstance(code, str) or not any(code.startswith(own) for own in own_codes):
        return "bad_code", f"a {CHILD_LEVEL[level]} in this file must belong to a {level} imported with it"
    return _check_properties(props, CHILD_LEVEL[level], None)


def _store_areas(parsed, level, parent):
    """Create or update the areas; -> {code: Area}. Each feature's props note whether it was created."""
    existing = {
        a.code: a
        for a in db.session.execute(
            select(Area).where(Area.code.in_([props["code"] for _, props, _ in parsed]))
        ).scalars()
    }
    for _, props, geom in parsed:
        area = existing.get(props["code"])
        if area is None:
            area = Area(
                code=props["code"],
                level=level,
                parent_id=parent.id if parent else None,
                district_code=props["code"][:6],
            )
            db.session.add(area)
            existing[props["code"]] = area
        props["_created"] = area.id is None
        area.name = props["name"].strip()
        area.households = props.get("households")
        area.geom = to_db(geom)
    db.session.flush()
    return {props["code"]: existing[props["code"]] for _, props, _ in parsed}


def _assignable_grid(user, grid_id):
    require_role(user, "admin", "street_reviewer", "community_admin")
    grid = db.session.get(Area, grid_id)
    if grid is None or grid.level != "grid" or not covers_code(user, grid.code):
        raise NotFound("area.no_such_grid")
    return grid


def assign_worker(user, grid_id, worker_id, start_date=None, end_date=None):
    """Give a worker a grid from start_date (default today); community admins and up."""
    grid = _assignable_grid(user, grid_id)
    worker = db.session.get(User, worker_id)
    if worker is None or worker.role != "worker" or not worker.active:
        raise Invalid("area.only_active_worker_assigned", {"worker_id": [messages.text("field.not_a_worker")]})
    if worker.area is None or not (grid.code.startswith(worker.area.code) or covers_code(user, worker.area.code)):
        raise Forbidden("area.worker_outside_area")
    start_date = start_date or today()
    # One assignment of a worker at a time: a concurrent one waits here, then sees this one as overlapping.
    db.session.execute(select(User.id).where(User.id == worker_id).with_for_update(key_share=True))
    overlapping = db.session.execute(
        select(GridAssignment.id).where(
            GridAssignment.user_id == worker_id,
            GridAssignment.grid_id == grid_id,
            (GridAssignment.end_date.is_(None)) | (GridAssignment.end_date >= start_date),
            *([GridAssignment.start_date <= end_date] if end_date else []),
        )
    ).first()
    if overlapping:
        raise Conflict("area.worker_already_holds_grid")
    assignment = GridAssignment(
        user_id=worker_id, grid_id=grid_id, start_date=start_date, end_date=end_date, created_by=user.id
    )
    db.session.add(assignment)
    db.session.flush()
    audit.record(user, "grid.assign", "grid", grid.code, grid.code, {"worker_id": worker_id})
    db.session.commit()
    return assignment


def list_assignments(user, grid_id):
    grid = _assignable_grid(user, grid_id)
    return (
        db.session.execute(
            select(GridAssignment).where(GridAssignment.grid_id == grid.id).order_by(GridAssignment.start_date)
        )
        .scalars()
        .all()
    )


def end_assignment(user, grid_id, assignment_id, end_date):
    """Close an assignment on end_date (inclusive)."""
    grid = _assignable_grid(user, grid_id)
    assignment = db.session.get(GridAssignment, assignment_id)
    if assignment is None or assignment.grid_id != grid.id:
        raise NotFound("area.no_such_assignment")
    if end_date < assignment.start_date:
        raise Invalid("area.end_date_before_start", {"end_date": [messages.text("field.before_start")]})
    assignment.end_date = end_date
    audit.record(user, "grid.unassign", "grid", grid.code, grid.code, {"worker_id": assignment.user_id})
    db.session.commit()
    return assignment
