"""Operator commands: flask create-user, import-areas, seed-demo, audit-verify."""

import json
import sys

import click
from flask import current_app
from flask.cli import with_appcontext

from patrol.errors import DomainError


def _fail(error):
    click.echo(f"error: {error.message}", err=True)
    if error.errors:
        click.echo(json.dumps(error.errors, ensure_ascii=False, indent=2, default=str), err=True)
    sys.exit(1)


@click.command("create-user")
@click.option("--username", required=True)
@click.option(
    "--role",
    required=True,
    type=click.Choice(["worker", "community_admin", "street_reviewer", "department", "admin"]),
)
@click.option("--name", "full_name", required=True)
@click.option("--area", "area_code", default=None, help="code of the area the user is bound to")
@click.option("--department", "department_id", type=int, default=None, help="department id (department role)")
@click.password_option(envvar="NEW_USER_PASSWORD")
@with_appcontext
def create_user(username, role, full_name, area_code, department_id, password):
    """Create a user (the password is asked for, or read from NEW_USER_PASSWORD)."""
    from patrol.auth import service

    try:
        user = service.create_user(username, password, role, full_name, area_code, department_id=department_id)
    except DomainError as error:
        _fail(error)
    click.echo(f"created {user.role} {user.username} (id {user.id})")


@click.command("import-areas")
@click.argument("file", type=click.File("rb"))
@click.option("--level", required=True, type=click.Choice(["street", "community", "grid"]))
@click.option("--parent", "parent_code", default=None)
@click.option("--crs", default="wgs84", type=click.Choice(["wgs84", "gcj02"]))
@with_appcontext
def import_areas(file, level, parent_code, crs):
    """Import a GeoJSON FeatureCollection as one level under a parent; all-or-nothing."""
    from patrol.areas import service

    try:
        collection = json.loads(file.read().decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        click.echo(f"error: {file.name} is not GeoJSON: {exc}", err=True)
        sys.exit(1)
    if (
        not isinstance(collection, dict)
        or collection.get("type") != "FeatureCollection"
        or not isinstance(collection.get("features"), list)
    ):
        click.echo("error: the file must hold a GeoJSON FeatureCollection", err=True)
        sys.exit(1)
    try:
        result = service.import_areas(None, level, parent_code, collection, crs)
    except DomainError as error:
        _fail(error)
    click.echo(f"imported {result['created']} new and {result['updated']} updated {level} area(s)")


@click.command("seed-demo")
@click.option("--days", default=30, show_default=True, help="days of history to generate")
@with_appcontext
def seed_demo(days):
    """Load the demo street, its users and history (idempotent)."""
    from patrol.demo import seed_demo as seed

    password = current_app.config["DEMO_PASSWORD"]
    seed(password, days)
    click.echo(
        "demo street 330106010 ready; logins: demo-admin, demo-street, demo-community, "
        "demo-worker, demo-worker2 … demo-worker12"
    )


@click.command("audit-verify")
@with_appcontext
def audit_verify():
    """Check the audit log's keyed hash chain and its anchor outside the database; exit 1 when broken."""
    from patrol.audit.service import verify

    checked, problem = verify()
    if problem is not None:
        click.echo(problem, err=True)
        sys.exit(1)
    click.echo(f"audit chain intact: {checked} entries")


@click.command("audit-reanchor")
@with_appcontext
def audit_reanchor():
    """After a legitimate restore: re-anchor the audit log at its newest entry (the chain must verify)."""
    from patrol.audit.service import reanchor

    checked, broken = reanchor()
    if broken is not None:
        click.echo(f"audit chain BROKEN at entry {broken} after {checked} good entries: not re-anchored", err=True)
        sys.exit(1)
    click.echo(f"audit log re-anchored at its newest entry ({checked} entries)")


commands = [create_user, import_areas, seed_demo, audit_verify, audit_reanchor]
