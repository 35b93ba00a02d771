"""What the people feature offers the others: visit figures, a grid's visits, the due list, who sees people.

Other features import people only through this module (enforced by .importlinter).
"""

from patrol.people.reports import visit_stats
from patrol.people.schedule import due_list
from patrol.people.service import may_target_people, visible_person_ids
from patrol.people.visits import list_visits

__all__ = ["due_list", "list_visits", "may_target_people", "visible_person_ids", "visit_stats"]
