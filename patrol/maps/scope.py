"""The caller's scope as bound parameters for the map SQL (tiles, OGC items, layer exports)."""

from dataclasses import dataclass

from patrol.auth.scope import area_prefix, worker_grid_ids
from patrol.errors import Forbidden
from patrol.extensions import db


@dataclass(frozen=True)
class MapScope:
    prefix: str  # area code prefix; '' = every area (unbound admin)
    grid_ids: list[int] | None  # a worker's grids, else None
    worker_id: int | None  # a worker sees only their own tracks
    department_id: int | None  # a department sees only incidents dispatched to it
    role: str

    def params(self):
        """Bound parameters for the scope placeholders of the map queries."""
        return {
            "prefix": self.prefix,
            "grid_ids": self.grid_ids,
            "worker_id": self.worker_id,
            "department_id": self.department_id,
        }


def map_scope(user):
    """What the user may see on a map; 403 for an account bound to no area."""
    if user.role == "worker":
        grids = list(db.session.execute(worker_grid_ids(user)).scalars())
        return MapScope("", grids, user.id, None, user.role)
    prefix = area_prefix(user)
    if prefix == "":
        raise Forbidden("map.account_without_area")
    department = None
    if user.role == "department":
        department = user.department_id or -1
    return MapScope(prefix or "", None, None, department, user.role)
