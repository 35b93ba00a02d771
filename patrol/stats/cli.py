"""`flask report`: write a generated 日报/周报/月报 to a file."""

import click
from flask.cli import with_appcontext

from patrol.stats import reports

PERIODS = ("day", "week", "month")


@click.command("report")
@click.option("--period", type=click.Choice(PERIODS), required=True)
@click.option("--date", "day", type=click.DateTime(["%Y-%m-%d"]), required=True)
@click.option("--area", "code", required=True, help="street or community code")
@click.option("--out", type=click.Path(dir_okay=False, writable=True), required=True, help=".xlsx or .html")
@with_appcontext
def report_command(period, day, code, out):
    """Write a generated 日报/周报/月报 of a street or community to an .xlsx or .html file."""
    written = reports.write_report_file(period, day.date(), code, out)
    click.echo(f"wrote {written}")


commands = [report_command]
