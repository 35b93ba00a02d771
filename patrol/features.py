"""The features of GridPatrol, listed by name: blueprints, sync operations, demo seeders, CLI commands.

Every feature is always present; a new one is added here (see docs/architecture.md, "Adding a feature").
The imports sit inside the functions so that importing this module loads no feature.
"""


def blueprints():
    """The API and page blueprints, in registration order (it is the order of the OpenAPI document)."""
    from patrol.areas import routes as areas
    from patrol.audit import routes as audit
    from patrol.auth import routes as auth
    from patrol.incidents import routes as incidents
    from patrol.maps import routes as maps
    from patrol.open311 import routes as open311
    from patrol.patrols import routes as patrols
    from patrol.people import routes as people
    from patrol.photos import routes as photos
    from patrol.stats import routes as stats
    from patrol.sync import routes as sync
    from patrol.system import routes as system
    from patrol.tasks import routes as tasks

    return [
        system.blp,
        auth.blp,
        areas.blp,
        audit.blp,
        *patrols.blueprints,
        *incidents.blueprints,
        photos.blp,
        *people.blueprints,
        tasks.blp,
        sync.blp,
        *maps.blueprints,
        *stats.blueprints,
        *open311.blueprints,
    ]


def plain_blueprints():
    """Blueprints outside the OpenAPI document: the pages, and GeoReport v2 (it answers in its own formats)."""
    from patrol.open311 import routes as open311
    from patrol.system import routes as system

    return [system.pages, open311.georeport]


def sync_modules():
    """The modules offering phone operations (`OPERATIONS`) and pulls (`pull(user, since)`), in order."""
    from patrol.incidents import sync_ops as incidents
    from patrol.patrols import sync_ops as patrols
    from patrol.people import sync_ops as people
    from patrol.tasks import sync_ops as tasks

    return (patrols, incidents, people, tasks)


def demo_seeders():
    """(feature name, seed(context)) for `flask seed-demo`, in order: later ones use earlier data."""
    from patrol.incidents import demo as incidents
    from patrol.patrols import demo as patrols
    from patrol.people import demo as people
    from patrol.tasks import demo as tasks

    return [("patrols", patrols.seed), ("incidents", incidents.seed), ("people", people.seed), ("tasks", tasks.seed)]


def cli_commands():
    """Each feature's `flask` commands and command groups (the operator's ones live in patrol/cli.py)."""
    from patrol import cli
    from patrol.open311 import cli as open311
    from patrol.patrols import cli as patrols
    from patrol.people import cli as people
    from patrol.stats import cli as stats

    return [*cli.commands, patrols.group, *people.commands, *stats.commands, open311.open311]
