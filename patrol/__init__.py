"""GridPatrol: grid patrols, incidents and visits for grid-based community governance."""

from flask import Flask
from werkzeug.routing import IntegerConverter

from patrol.config import load_config


def create_app(test_config=None):
    """Application factory: config, extensions, blueprints, error handlers, CLI."""
    app = Flask(__name__, static_folder="../static", static_url_path="/static")
    app.config.update(load_config(overrides=test_config))
    app.url_map.converters["int"] = DatabaseIntConverter
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_commands(app)
    register_lean_paths(app)
    register_request_hooks(app)
    return app


class DatabaseIntConverter(IntegerConverter):
    """`<int:…>` ids bounded to PostgreSQL integer, so an id out of range is a 404, not a database error."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(map, *args, **kwargs)


def register_extensions(app):
    from patrol.extensions import api, db, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=app.config.get("MIGRATIONS_DIR", "migrations"))
    api.init_app(app, spec_kwargs={"info": {"description": "网格巡查 GridPatrol JSON API"}})
    api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})
    api.spec.options["security"] = [{"bearerAuth": []}]


def register_blueprints(app):
    from patrol.extensions import api
    from patrol.features import blueprints, plain_blueprints

    for blueprint in blueprints():
        api.register_blueprint(blueprint)
    for blueprint in plain_blueprints():
        app.register_blueprint(blueprint)


def register_errorhandlers(app):
    from patrol.errors import register_error_handlers

    register_error_handlers(app)


def register_commands(app):
    from patrol.features import cli_commands

    for command in cli_commands():
        app.cli.add_command(command)


def register_lean_paths(app):
    """WSGI shortcuts for the hottest requests, inside the proxy fix the hooks add (see fast_fixes)."""
    from patrol.patrols.fast_fixes import install

    install(app)


def register_request_hooks(app):
    from patrol.system.hooks import install

    install(app)
