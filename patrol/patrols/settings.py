"""Patrol settings, validated at start-up by patrol.config and read from the app config."""

from datetime import timedelta

from flask import current_app

from patrol.config import PATROL_NUMBERS


def setting(name):
    """A patrol setting as a number."""
    return setting_in(current_app.config, name)


def fix_window(config=None):
    """(earliest, latest) fix time accepted on every way in: one definition, checked before any DDL."""
    from patrol.localtime import utcnow

    config = current_app.config if config is None else config
    now = utcnow()
    return (
        now - timedelta(days=setting_in(config, "PATROL_FIX_MAX_AGE_D")),
        now + timedelta(minutes=setting_in(config, "PATROL_FIX_MAX_AHEAD_MIN")),
    )


def outside_fix_window(first, last, config=None):
    """Why fix times from `first` to `last` are refused, or None when they all lie in the window."""
    earliest, latest = fix_window(config)
    if first < earliest:
        return f"fix time older than {setting_in(config or current_app.config, 'PATROL_FIX_MAX_AGE_D'):g} days"
    if last > latest:
        return "fix time in the future"
    return None


def setting_in(config, name):
    """A patrol setting as a number, from a given app config (for code running outside an app context)."""
    return type(PATROL_NUMBERS[name])(config[name])
