"""Incident tables for reports and the dashboard, read from the incidents feature's tables in SQL."""

from sqlalchemy import text

STATUSES = ("reported", "accepted", "rejected", "dispatched", "in_progress", "resolved", "closed")

_SCOPE = """
    i.merged_into IS NULL AND i.grid_code LIKE :prefix || '%'
    AND (CAST(:department_id AS int) IS NULL OR i.department_id = CAST(:department_id AS int))"""

BY_CATEGORY_AND_STATUS = text(f"""
SELECT coalesce(p.code, c.code) AS key, min(coalesce(p.name, c.name)) AS label, count(*) AS total,
       {", ".join(f"count(*) FILTER (WHERE i.status = '{s}') AS {s}" for s in STATUSES)},
       count(*) FILTER (WHERE i.status IN ('dispatched', 'in_progress', 'resolved') AND i.due_at < :now) AS overdue
FROM incident i
JOIN incident_category c ON c.id = i.category_id
LEFT JOIN incident_category p ON p.id = c.parent_id
WHERE i.reported_at >= :start AND i.reported_at < :end AND {_SCOPE}
GROUP BY 1 ORDER BY 1
""")

# Open past their deadline at the end of the period (or now, when the period is still running).
OVERDUE = text(f"""
SELECT i.id::text AS id, i.grid_code, g.name AS grid_name, coalesce(p.name, c.name) AS category,
       i.status, i.reported_at, i.due_at, d.name AS department,
       ceil(extract(epoch FROM least(:end, :now) - i.due_at) / 86400)::int AS days_overdue  -- a part day counts
FROM incident i
JOIN area g ON g.id = i.grid_id
JOIN incident_category c ON c.id = i.category_id
LEFT JOIN incident_category p ON p.id = c.parent_id
LEFT JOIN incident_department d ON d.id = i.department_id
WHERE i.due_at < least(:end, :now) AND i.reported_at < :end
  AND (i.closed_at IS NULL OR i.closed_at > least(:end, :now)) AND i.status <> 'rejected' AND {_SCOPE}
ORDER BY i.due_at, i.id
LIMIT 500
""")

# Incidents of a grid reported on a day or open through it (the grid's day on the review page).
GRID_DAY_INCIDENTS = text("""
SELECT i.id::text AS id, coalesce(p.name, c.name) AS category, c.name AS subcategory, i.status,
       i.reported_at, i.due_at, i.closed_at,
       (i.status IN ('dispatched', 'in_progress', 'resolved') AND i.due_at < now()) AS overdue
FROM incident i
JOIN incident_category c ON c.id = i.category_id
LEFT JOIN incident_category p ON p.id = c.parent_id
WHERE i.grid_id = :grid_id AND i.merged_into IS NULL AND i.reported_at < :end
  AND (i.reported_at >= :start OR i.closed_at IS NULL OR i.closed_at >= :start)
  AND (CAST(:department_id AS int) IS NULL OR i.department_id = CAST(:department_id AS int))
ORDER BY i.reported_at
""")
