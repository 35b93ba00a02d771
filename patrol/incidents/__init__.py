"""Incidents: report, categories, departments, closed-loop dispatch, deadlines and indicators."""
