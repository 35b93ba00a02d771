"""`flask patrols …` commands: compliance rules, closing silent tracker patrols."""

import json
import sys
from datetime import time

import click
from flask.cli import AppGroup


def _time(value):
    if value is None:
        return None
    try:
        return time.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not HH:MM") from None


group = AppGroup("patrols", help="Patrol rules and tracker patrols.")


@group.command("rules")
@click.argument("area_code")
@click.option("--am-start")
@click.option("--am-end")
@click.option("--pm-start")
@click.option("--pm-end")
@click.option("--min-duration", "min_duration_min", type=click.IntRange(1, 600))
@click.option("--min-inside", "min_inside_share", type=click.FloatRange(0, 1))
@click.option("--min-coverage", "min_coverage", type=click.FloatRange(0, 1))
@click.option("--clear", multiple=True, help="field to clear (inherit again), e.g. --clear min_coverage")
def rules_command(area_code, clear, **options):
    """Show, or set, the patrol rules of a street or the overrides of a community."""
    from patrol.areas.service import area_by_code
    from patrol.errors import DomainError
    from patrol.patrols import rules

    area = area_by_code(area_code)
    if area is None:
        click.echo(f"error: no area {area_code}", err=True)
        sys.exit(1)
    changes = {k: v for k, v in options.items() if v is not None}
    for key in ("am_start", "am_end", "pm_start", "pm_end"):
        if key in changes:
            changes[key] = _time(changes[key])
    unknown = [f for f in clear if f not in rules.RULE_FIELDS]
    if unknown:
        click.echo(f"error: unknown field(s) {', '.join(unknown)}", err=True)
        sys.exit(1)
    changes.update({f: None for f in clear})
    try:
        result = rules.set_rules(None, area.id, changes) if changes else rules.get_rules_unscoped(area)
    except DomainError as error:
        click.echo(f"error: {error.message}", err=True)
        sys.exit(1)
    click.echo(json.dumps(result, default=str, ensure_ascii=False, indent=2))


@group.command("upkeep")
def upkeep():
    """Close tracker patrols silent for longer than the silence gap (run every minute: make run, systemd)."""
    from patrol.patrols.trackers import close_silent_patrols

    click.echo(f"closed {close_silent_patrols()} silent tracker patrol(s)")


group.add_command(upkeep, "close-silent")  # the older name
