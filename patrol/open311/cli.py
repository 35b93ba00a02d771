"""flask open311 add-client | list-clients | deliver [--loop] | rotate-key."""

import contextlib
import os
import sys

import click
from flask.cli import AppGroup

from patrol.errors import DomainError

open311 = AppGroup("open311", help="Open311 upstream clients and the delivery of results back to them.")


@open311.command("add-client")
@click.option("--name", required=True, help="e.g. 12345热线")
@click.option("--callback-url", default=None, help="where state changes are POSTed (http/https)")
@click.option("--area", "area_code", default=None, help="code of the area its orders must fall in")
@click.option("--minutes-per-order", default=30, show_default=True, type=click.IntRange(1, 1440))
def add_client(name, callback_url, area_code, minutes_per_order):
    """Issue a client: prints its api_key and signing secret once (only hashes/ciphertexts are kept)."""
    from patrol.open311 import clients

    try:
        client, api_key, secret = clients.create_client(None, name, callback_url, area_code, minutes_per_order)
    except DomainError as error:
        click.echo(f"error: {error.message}", err=True)
        sys.exit(1)
    click.echo(f"client {client.id} {client.name}")
    click.echo(f"api_key={api_key}")
    click.echo(f"secret={secret}")
    click.echo("Give both to the upstream operator now; they cannot be shown again.", err=True)


@open311.command("list-clients")
def list_clients():
    """Clients with key prefix, callback URL and area."""
    from sqlalchemy import select

    from patrol.extensions import db
    from patrol.open311.models import Client

    for client in db.session.execute(select(Client).order_by(Client.id)).scalars():
        state = "active" if client.active else "inactive"
        click.echo(f"{client.id}\t{client.name}\t{client.key_prefix}…\t{client.callback_url or '-'}\t{state}")


@open311.command("deliver")
@click.option("--loop", is_flag=True, help="keep delivering until stopped")
@click.option("--interval", type=click.IntRange(1, 3600), default=None, help="idle seconds between runs")
@click.option("--while-pid", type=int, default=None, help="with --loop: stop when this process is gone")
def deliver(loop, interval, while_pid):
    """Send the due state changes to the clients' callback URLs (once, or --loop)."""
    from flask import current_app

    from patrol.open311 import outbox

    if not loop:
        delivered, failed = outbox.deliver_due()
        click.echo(f"delivered {delivered}, failed attempts {failed}")
        return
    interval = interval or current_app.config["OPEN311_LOOP_SECONDS"]
    click.echo(f"open311 delivery loop (pid {os.getpid()}), every {interval}s when idle", err=True)
    with contextlib.suppress(KeyboardInterrupt):
        outbox.run_loop(interval, while_pid)


@open311.command("rotate-key")
def rotate_key():
    """Re-encrypt client secrets and callers' contacts under PII_KEY (after `flask rotate-pii-key`)."""
    from patrol.open311 import clients

    click.echo(f"re-encrypted {clients.rotate_keys()} Open311 value(s) under the current key")
