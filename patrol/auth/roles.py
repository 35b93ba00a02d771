"""The five roles and the named sets of roles that checks use (one place for who may do what).

Every `require_role` call and every `user.role in …` test uses one of these sets; the access matrix
(tests/hardening/matrix.py) checks each endpoint against them from the outside.
"""

WORKER = "worker"
COMMUNITY_ADMIN = "community_admin"
STREET_REVIEWER = "street_reviewer"
DEPARTMENT = "department"
ADMIN = "admin"

ROLES = (WORKER, COMMUNITY_ADMIN, STREET_REVIEWER, DEPARTMENT, ADMIN)
EVERYONE = ROLES
# Record and read field work: workers and community/street staff, not departments.
FIELD_AND_STAFF = (WORKER, COMMUNITY_ADMIN, STREET_REVIEWER, ADMIN)
# Manage a community's or street's data (people, key places, exports, users).
STAFF = (COMMUNITY_ADMIN, STREET_REVIEWER, ADMIN)
# Area-bound readers of the review page, reports and indicators (departments see their own share).
AREA_STAFF = (COMMUNITY_ADMIN, STREET_REVIEWER, DEPARTMENT, ADMIN)
# The street office: incident review, audit log, budgets.
STREET_STAFF = (STREET_REVIEWER, ADMIN)
# Who pushes tasks to grids.
TASK_PUSHERS = (DEPARTMENT, STREET_REVIEWER, ADMIN)
ONLY_WORKER = (WORKER,)
ONLY_ADMIN = (ADMIN,)
