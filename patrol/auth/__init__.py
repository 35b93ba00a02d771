"""Users, roles, tokens and area scoping."""

from patrol.auth.scope import can_access_grid, require_grid, require_role, visible_area_clause, visible_grid_ids
from patrol.auth.service import current_user

__all__ = ["current_user", "require_role", "require_grid", "can_access_grid", "visible_area_clause", "visible_grid_ids"]
