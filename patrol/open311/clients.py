"""Upstream clients: issued by the admin, the API key stored hashed, the signing secret encrypted."""

import hashlib
import secrets
from urllib.parse import urlsplit

from sqlalchemy import select

from patrol.areas.models import Area
from patrol.audit import service as audit
from patrol.auth.scope import require_role
from patrol.errors import Conflict, Invalid, NotFound
from patrol.extensions import db
from patrol.open311.formats import Open311Error
from patrol.open311.models import Client
from patrol.people import crypto

KEY_PREFIX = "o311_"


def hash_key(api_key):
    return hashlib.sha256(api_key.encode()).hexdigest()


def checked_callback_url(url):
    """An absolute http(s) URL without credentials, or None to send nothing."""
    if url is None or url.strip() == "":
        return None
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.username or parts.password:
        raise Invalid(
            "request.callback_url_must_http",
            {"callback_url": ["invalid"]},
        )
    return url


def _checked_area(code):
    if not code:
        return None
    if db.session.execute(select(Area.id).where(Area.code == code)).scalar() is None:
        raise Invalid("request.no_area", {"area_code": ["unknown"]}, code_value=code)
    return code


def create_client(user, name, callback_url=None, area_code=None, minutes_per_order=30):
    """A new client; -> (client, api_key, secret). The key and secret are shown only this once."""
    if user is not None:
        require_role(user, "admin")
    name = (name or "").strip()
    if not name:
        raise Invalid("request.name_required", {"name": ["required"]})
    if db.session.execute(select(Client.id).where(Client.name == name)).scalar() is not None:
        raise Conflict("request.client_named_exists", {"name": ["taken"]}, name=name)
    api_key = KEY_PREFIX + secrets.token_urlsafe(24)
    secret = secrets.token_urlsafe(32)
    client = Client(
        name=name,
        api_key_hash=hash_key(api_key),
        key_prefix=api_key[:10],
        secret_enc=crypto.encrypt(secret),
        callback_url=checked_callback_url(callback_url),
        area_code=_checked_area(area_code),
        minutes_per_order=minutes_per_order,
        active=True,
    )
    db.session.add(client)
    db.session.flush()
    audit.record(user, "open311.client.create", "open311_client", client.id, area_code, {"name": name})
    db.session.commit()
    return client, api_key, secret


def get_client(client_id):
    client = db.session.get(Client, client_id)
    if client is None:
        raise NotFound("request.no_such_client")
    return client


def list_clients(user):
    require_role(user, "admin")
    return db.session.execute(select(Client).order_by(Client.id)).scalars().all()


def update_client(user, client_id, data):
    """Change the callback URL, area, minutes per order or active flag (admin)."""
    require_role(user, "admin")
    client = get_client(client_id)
    if "callback_url" in data:
        client.callback_url = checked_callback_url(data["callback_url"])
    if "area_code" in data:
        client.area_code = _checked_area(data["area_code"])
    for key in ("minutes_per_order", "active"):
        if data.get(key) is not None:
            setattr(client, key, data[key])
    audit.record(user, "open311.client.update", "open311_client", client.id, client.area_code, {"fields": sorted(data)})
    db.session.commit()
    return client


def client_dict(client):
    return {
        "id": client.id,
        "name": client.name,
        "key_prefix": client.key_prefix,
        "callback_url": client.callback_url,
        "area_code": client.area_code,
        "minutes_per_order": client.minutes_per_order,
        "active": client.active,
        "created_at": client.created_at,
    }


def authenticate(api_key):
    """The active client holding this key, else the spec's 403."""
    if not api_key:
        raise Open311Error(403, "api_key is required")
    client = db.session.execute(select(Client).where(Client.api_key_hash == hash_key(api_key))).scalar_one_or_none()
    if client is None or not client.active:
        raise Open311Error(403, "invalid api_key")
    return client


def secret_of(client):
    return crypto.decrypt(client.secret_enc)


def rotate_keys():
    """Re-encrypt client secrets and callers' contacts not yet under the current PII key; -> how many."""
    from patrol.open311.models import UpstreamRequest

    key, keys = crypto.current_key(), crypto.all_keys()
    done = 0
    for model, column in ((Client, "secret_enc"), (UpstreamRequest, "contact_enc")):
        field = getattr(model, column)
        stale = select(model).where(field.isnot(None), ~field.startswith(key.kid + ":")).with_for_update()
        for row in db.session.execute(stale).scalars():
            setattr(row, column, crypto.encrypt(crypto.decrypt(getattr(row, column), keys), key))
            done += 1
    db.session.commit()
    return done
