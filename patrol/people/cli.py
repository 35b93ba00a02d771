"""`flask rotate-pii-key`: re-encrypt personal numbers under the current key."""

import click
from flask.cli import with_appcontext


@click.command("rotate-pii-key")
@with_appcontext
def rotate_pii_key():
    """Re-encrypt ID numbers and phones under PII_KEY (old keys listed in PII_OLD_KEYS)."""
    from patrol.people.pii import rotate_keys

    click.echo(f"re-encrypted {rotate_keys()} person record(s) under the current key")


commands = [rotate_pii_key]
