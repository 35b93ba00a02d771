"""The anchor: the newest audit entry's id and hash, kept in a file outside the database.

The database's own role can drop the newest entries or empty the table; the chain of what is left still
verifies. The anchor, written after every commit that appended entries, remembers how far the chain went.
"""

import contextlib
import fcntl
import hashlib
import hmac
import json
import os

ANCHOR_FILE = "audit-anchor.json"


def _mac(key, entry_id, entry_hash):
    return hmac.new(key.encode(), f"anchor:{entry_id}:{entry_hash}".encode(), hashlib.sha256).hexdigest()


def read_anchor(directory, key):
    """(id, hash) of the anchored entry; None when there is no anchor; ValueError when it was forged."""
    path = os.path.join(directory, ANCHOR_FILE)
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except FileNotFoundError:
        return None
    except (OSError, json.JSONDecodeError) as error:
        raise ValueError(f"unreadable audit anchor {path}: {error}") from None
    entry_id, entry_hash = data.get("id"), data.get("entry_hash")
    if not isinstance(entry_id, int) or not isinstance(entry_hash, str):
        raise ValueError(f"malformed audit anchor {path}")
    if not hmac.compare_digest(_mac(key, entry_id, entry_hash), str(data.get("mac", ""))):
        raise ValueError(f"audit anchor {path} does not carry a valid AUDIT_KEY signature")
    return entry_id, entry_hash


def write_anchor(directory, key, entry_id, entry_hash, force=False, follows=None):
    """Anchor the entry; False when refused (unless forced, as by audit-reanchor).

    An older entry never replaces a newer anchor. `follows` is the id of the newest entry the appending
    transaction found: below the anchor, entries up to the anchor were removed, and the anchor must stay
    where it is so that audit-verify reports it instead of moving past the gap.
    """
    os.makedirs(directory, mode=0o750, exist_ok=True)
    path = os.path.join(directory, ANCHOR_FILE)
    with open(path + ".lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # several workers commit appends; the newest must win
        if not force:
            if follows is not None and follows < 0:
                return False
            try:
                current = read_anchor(directory, key)
            except ValueError:
                current = None  # a damaged anchor is reported by audit-verify, then replaced by appends
            if current is not None and (current[0] >= entry_id or (follows is not None and current[0] > follows)):
                return current[0] >= entry_id
        body = {"id": entry_id, "entry_hash": entry_hash, "mac": _mac(key, entry_id, entry_hash)}
        partial = f"{path}.{os.getpid()}.partial"
        with open(partial, "w", encoding="utf-8") as handle:
            json.dump(body, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(partial, path)
    return True


def remove_anchor(directory):
    """Forget the anchor (tests emptying the database between cases)."""
    with contextlib.suppress(FileNotFoundError):
        os.unlink(os.path.join(directory, ANCHOR_FILE))
