from sqlalchemy import select

from patrol.auth.models import User
from patrol.extensions import db


def test_create_user_command(runner, demo):
    result = runner.invoke(
        args=[
            "create-user",
            "--username",
            "ops-street",
            "--role",
            "street_reviewer",
            "--name",
            "街道值班",
            "--area",
            "330106010",
        ],
        env={"NEW_USER_PASSWORD": "a-strong-password"},
    )
    assert result.exit_code == 0, result.output
    user = db.session.execute(select(User).where(User.username == "ops-street")).scalar_one()
    assert user.role == "street_reviewer" and user.password_hash.startswith("$argon2id$")


def test_create_user_command_refuses_bad_area(runner, demo):
    result = runner.invoke(
        args=["create-user", "--username", "x-user", "--role", "worker", "--name", "x", "--area", "999999999"],
        env={"NEW_USER_PASSWORD": "a-strong-password"},
    )
    assert result.exit_code == 1
    assert "999999999" in result.output
