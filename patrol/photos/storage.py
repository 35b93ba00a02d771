"""Where photo bytes live: a small interface so a directory can later become object storage."""

import os
import re
import tempfile

from flask import current_app

PHOTO_ID = re.compile(r"^[0-9a-f]{64}$")
SIZES = ("full", "thumb")


class DirectoryStore:
    """Photos as files under one directory, fanned out by the first two bytes of the id."""

    def __init__(self, root):
        self.root = root

    def _path(self, photo_id, size):
        if not PHOTO_ID.match(photo_id) or size not in SIZES:
            raise ValueError("invalid photo id or size")
        suffix = "" if size == "full" else ".thumb"
        return os.path.join(self.root, photo_id[:2], photo_id[2:4], f"{photo_id}{suffix}.jpg")

    def put(self, photo_id, size, data):
        """Write atomically (temp file + rename) so a reader never sees half a photo."""
        path = self._path(photo_id, size)
        if os.path.exists(path):
            return
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(tmp, path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise

    def exists(self, photo_id, size="full"):
        return os.path.exists(self._path(photo_id, size))

    def read(self, photo_id, size="full"):
        """The stored bytes, or None when missing (photos are small after re-encoding)."""
        path = self._path(photo_id, size)
        if not os.path.exists(path):
            return None
        with open(path, "rb") as handle:
            return handle.read()


def photo_store():
    """The configured store (PHOTO_DIR)."""
    return DirectoryStore(current_app.config["PHOTO_DIR"])
