"""What the people feature offers the others: visit statistics, visits of a grid's day, the due list.

Other features import people only through this module (enforced by .importlinter).
"""

from patrol.people.reports import visit_stats
from patrol.people.schedule import due_list
from patrol.people.visits import list_visits

__all__ = ["due_list", "list_visits", "visit_stats"]
