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


def test_create_department_user_command_needs_an_existing_department(runner, demo):
    from patrol.areas.models import Area
    from patrol.incidents import catalog

    street = db.session.execute(select(Area).where(Area.code == "330106010")).scalar_one()
    department = catalog.seed_departments(street)[0]
    base = ["create-user", "--role", "department", "--name", "城管", "--area", "330106010"]
    env = {"NEW_USER_PASSWORD": "a-strong-password"}
    for extra in ([], ["--department", "999999"]):
        refused = runner.invoke(args=[*base, "--username", "no-dept", *extra], env=env)
        assert refused.exit_code == 1 and "department_id" in refused.output
    made = runner.invoke(args=[*base, "--username", "cg", "--department", str(department.id)], env=env)
    assert made.exit_code == 0, made.output
    assert db.session.execute(select(User.department_id).where(User.username == "cg")).scalar() == department.id
