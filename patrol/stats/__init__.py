"""Statistics: generated reports, cross-feature exports and the review dashboard's data."""
