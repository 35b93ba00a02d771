"""Health, security headers, request limits and the pages that host the PWA."""
