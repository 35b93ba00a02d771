"""What the maps feature offers the others: the user's map scope and the OGC collections' rows as features.

Other features import maps only through this module (enforced by .importlinter).
"""

from patrol.maps.ogc import feature, parse_bbox
from patrol.maps.ogc_queries import COLLECTIONS, items_sql
from patrol.maps.scope import map_scope

__all__ = ["COLLECTIONS", "feature", "items_sql", "map_scope", "parse_bbox"]
