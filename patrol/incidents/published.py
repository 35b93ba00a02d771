"""What the incidents feature offers the others: reporting, the category list, the indicators, the
default departments of a street.

Other features import incidents only through this module (enforced by .importlinter).
"""

from patrol.incidents.catalog import list_categories, seed_departments
from patrol.incidents.service import report_incident
from patrol.incidents.stats import indicators

__all__ = ["indicators", "list_categories", "report_incident", "seed_departments"]
