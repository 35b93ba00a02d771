"""Extensions, created unbound and attached to the app in create_app()."""

from flask_migrate import Migrate
from flask_smorest import Api
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import DeclarativeBase

from patrol.errors import http_exception_response


class Base(DeclarativeBase):
    pass


class PatrolApi(Api):
    """flask-smorest Api whose HTTP errors use the project's one error shape."""

    def handle_http_exception(self, error):
        return http_exception_response(error)


db = SQLAlchemy(model_class=Base)
migrate = Migrate(compare_type=True)
api = PatrolApi()
