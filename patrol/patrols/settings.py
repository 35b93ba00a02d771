"""Patrol settings: app config first, then the environment, then the default."""

import os
from datetime import timedelta

from flask import current_app

DEFAULTS = {
    "PATROL_MAX_ACCURACY_M": 50.0,  # worse accuracy is flagged
    "PATROL_MAX_SPEED_MPS": 7.0,  # implied speed above this on foot is a jump
    "PATROL_FAR_OUTSIDE_M": 200.0,  # further than this from the grid is flagged
    "PATROL_GAP_S": 120.0,  # fixes further apart than this are a gap, never bridged
    "PATROL_MOVING_MPS": 0.5,  # a step slower than this is standing still
    "PATROL_COVERAGE_CELL_M": 50.0,  # coverage counts the grid's cells of this size that a clean fix fell in
    "PATROL_TRACKER_SILENCE_MIN": 15.0,  # a tracker patrol finishes itself after this silence
    "PATROL_MAX_FIX_BEFORE_START_H": 12.0,  # fixes earlier than this before the start are refused
    "PATROL_MAX_POINTS": 5000,  # points per request
    "PATROL_FIX_MAX_AGE_D": 60.0,  # fixes older than this many days are refused on every way in
    "PATROL_FIX_MAX_AHEAD_MIN": 10.0,  # fixes later than now plus this are refused (phone clocks drift)
}


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
    value = config.get(name)
    if value is None:
        value = os.environ.get(name) or DEFAULTS[name]
    return type(DEFAULTS[name])(value)
