"""Personal data at rest: AES-GCM with a key id in every ciphertext, keyed HMAC blind indexes.

PII_KEY (urlsafe base64 of 32 bytes) encrypts; PII_OLD_KEYS (comma-separated) still decrypt, so
`flask rotate-pii-key` can re-encrypt row by row after the key changes. Blind indexes are HMACs
under a key derived from each PII key; lookups try every known key, so duplicates are found
during a rotation too, and never by decrypting.
"""

import base64
import binascii
import hashlib
import hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask import current_app

from patrol.errors import ServiceUnavailable

TEST_KEY = "dGVzdC1vbmx5LXBpaS1rZXktMzItYnl0ZXMtbG9uZyE="  # 32 bytes, used only when TESTING


class PiiKeyError(ServiceUnavailable):
    """A PII key is missing or malformed, or a ciphertext names a key we do not hold (503, logged)."""

    def __init__(self, message):
        super().__init__("people.pii_key_problem", retry_after=60, detail=message)


class PiiKey:
    """One 32-byte key with its id (first 8 hex digits of its SHA-256)."""

    def __init__(self, encoded):
        encoded = encoded.strip()
        try:
            # env-file loaders sometimes drop the trailing "=" padding; restore it
            raw = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        except (binascii.Error, ValueError):
            raise PiiKeyError("PII key is not urlsafe base64") from None
        if len(raw) != 32:
            raise PiiKeyError("PII key must be 32 bytes (urlsafe base64)")
        self.raw = raw
        self.kid = hashlib.sha256(raw).hexdigest()[:8]
        self.index_key = hmac.new(raw, b"gridpatrol blind index v1", hashlib.sha256).digest()


def generate_key():
    """A fresh key for PII_KEY."""
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


def current_key():
    """The key new ciphertexts and blind indexes use."""
    config = current_app.config
    encoded = config.get("PII_KEY")
    if not encoded and config.get("TESTING"):
        encoded = TEST_KEY
    if not encoded:
        raise PiiKeyError("PII_KEY is not set: personal data cannot be stored or read")
    return PiiKey(encoded)


def all_keys():
    """The current key first, then every old key that still decrypts."""
    config = current_app.config
    old = config.get("PII_OLD_KEYS") or []
    if isinstance(old, str):
        old = [k for k in (part.strip() for part in old.split(",")) if k]
    keys = [current_key()] + [PiiKey(k) for k in old]
    return {k.kid: k for k in keys}


def encrypt(plain, key=None):
    """'<kid>:<base64(nonce | ciphertext)>' with the key id bound as associated data."""
    key = key or current_key()
    nonce = os.urandom(12)
    sealed = AESGCM(key.raw).encrypt(nonce, plain.encode(), key.kid.encode())
    return f"{key.kid}:{base64.b64encode(nonce + sealed).decode()}"


def key_id(token):
    return token.split(":", 1)[0]


def decrypt(token, keys=None):
    """The plain text of a ciphertext made by encrypt(), with whichever known key made it."""
    keys = keys or all_keys()
    kid, _, body = token.partition(":")
    key = keys.get(kid)
    if key is None:
        raise PiiKeyError(f"no PII key with id {kid} (set it in PII_OLD_KEYS)")
    blob = base64.b64decode(body)
    try:
        return AESGCM(key.raw).decrypt(blob[:12], blob[12:], kid.encode()).decode()
    except InvalidTag:
        raise PiiKeyError(f"ciphertext does not authenticate under key {kid}") from None


def blind_index(value, key=None):
    """Keyed HMAC-SHA256 of a normalised value, for equality lookups."""
    key = key or current_key()
    return hmac.new(key.index_key, value.encode(), hashlib.sha256).hexdigest()


def blind_indexes(value):
    """The value's blind index under every known key (current first)."""
    return [blind_index(value, key) for key in all_keys().values()]
