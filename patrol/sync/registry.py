"""The operations and pull functions the feature packages offer, found at run time."""

import importlib
from functools import cache

FEATURES = ("patrols", "incidents", "people", "tasks")


@cache
def sync_modules():
    """The `patrol.<feature>.sync_ops` modules that exist, in feature order."""
    found = []
    for name in FEATURES:
        try:
            found.append(importlib.import_module(f"patrol.{name}.sync_ops"))
        except ModuleNotFoundError as exc:
            if exc.name not in (f"patrol.{name}.sync_ops", f"patrol.{name}"):
                raise
    return tuple(found)


def operations():
    """{op name: apply_fn} over every feature."""
    merged = {}
    for module in sync_modules():
        merged.update(getattr(module, "OPERATIONS", {}))
    return merged


def pull_functions():
    """The features' pull(user, since) functions."""
    return [module.pull for module in sync_modules() if hasattr(module, "pull")]
