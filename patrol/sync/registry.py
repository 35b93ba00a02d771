"""The operations and pull functions the feature packages offer (listed in patrol/features.py)."""

from functools import cache


@cache
def sync_modules():
    """The `patrol.<feature>.sync_ops` modules, in feature order."""
    from patrol.features import sync_modules as listed

    return listed()


def operations():
    """{op name: apply_fn} over every feature."""
    merged = {}
    for module in sync_modules():
        merged.update(module.OPERATIONS)
    return merged


def pull_functions():
    """The features' pull(user, since) functions."""
    return [module.pull for module in sync_modules()]
