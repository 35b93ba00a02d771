"""Task settings, validated at start-up by patrol.config and read from the app config."""

from flask import current_app

from patrol.config import TASK_NUMBERS


def setting(name):
    """A task setting as a number."""
    return type(TASK_NUMBERS[name])(current_app.config[name])


def timezone_name():
    return current_app.config["TIMEZONE"]
