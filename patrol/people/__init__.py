"""Special populations (特殊人群): registry with encrypted PII, visits, visit schedules."""
