"""Task settings: app config first, then the environment, then the default."""

import os

from flask import current_app

DEFAULTS = {
    "KEY_PLACE_CHECK_DISTANCE_M": 30.0,  # a clean patrol fix this close checks a key place
    "KEY_PLACE_MAX_AREA_M2": 200_000.0,  # a key place polygon is small (a school, a market)
    "KEY_PLACE_GRID_TOLERANCE_M": 20.0,  # how far a key place may stick out of its grid
}


def setting(name):
    """A task setting as a number."""
    value = current_app.config.get(name)
    if value is None:
        value = os.environ.get(name) or DEFAULTS[name]
    try:
        return type(DEFAULTS[name])(value)
    except ValueError:
        return DEFAULTS[name]


def timezone_name():
    return current_app.config["TIMEZONE"]
