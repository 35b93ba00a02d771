"""Patrol settings, validated at start-up by patrol.config and read from the app config."""

from flask import current_app

from patrol.config import PATROL_NUMBERS


def setting(name):
    """A patrol setting as a number."""
    return setting_in(current_app.config, name)


def setting_in(config, name):
    """A patrol setting as a number, from a given app config (for code running outside an app context)."""
    return type(PATROL_NUMBERS[name])(config[name])
