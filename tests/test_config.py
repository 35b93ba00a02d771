import pytest

from patrol.config import ConfigError, load_config

GOOD = {"SECRET_KEY": "x" * 40, "AUDIT_KEY": "a" * 40, "DATABASE_URL": "postgresql://u@h/db"}


def test_missing_secret_key_is_a_clear_error():
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        load_config({"DATABASE_URL": "postgresql://u@h/db", "AUDIT_KEY": "a" * 40})


def test_missing_or_short_audit_key_is_a_clear_error():
    with pytest.raises(ConfigError, match="AUDIT_KEY"):
        load_config({"DATABASE_URL": "postgresql://u@h/db", "SECRET_KEY": "x" * 40})
    with pytest.raises(ConfigError, match="AUDIT_KEY"):
        load_config({**GOOD, "AUDIT_KEY": "short"})


@pytest.mark.parametrize(
    ("name", "value", "fragment"),
    [
        ("TOKEN_TTL_HOURS", "soon", "whole number"),
        ("TOKEN_TTL_HOURS", "0", "at least 1"),
        ("TIMEZONE", "Mars/Olympus", "time zone"),
        ("DATABASE_URL", "mysql://u@h/db", "postgresql"),
        ("DEFAULT_LANGUAGE", "fr", "zh-CN"),
    ],
)
def test_bad_values_name_the_setting(name, value, fragment):
    with pytest.raises(ConfigError, match=fragment):
        load_config({**GOOD, name: value})


def test_defaults():
    config = load_config(GOOD)
    assert config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@h/db"
    assert config["TIMEZONE"] == "Asia/Shanghai"
    assert config["DEFAULT_LANGUAGE"] == "zh-CN"
