import ast
from pathlib import Path

import pytest

from patrol.config import ConfigError, load_config

GOOD = {
    "SECRET_KEY": "x" * 40,
    "AUDIT_KEY": "a" * 40,
    "DATABASE_URL": "postgresql://u@h/db",
    "PII_KEY": "dGVzdC1vbmx5LXBpaS1rZXktMzItYnl0ZXMtbG9uZyE=",
}
PACKAGE = Path(__file__).resolve().parents[1] / "patrol"


def test_missing_secret_key_is_a_clear_error():
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        load_config({"DATABASE_URL": "postgresql://u@h/db", "AUDIT_KEY": "a" * 40})


def test_missing_or_short_audit_key_is_a_clear_error():
    with pytest.raises(ConfigError, match="AUDIT_KEY"):
        load_config({key: value for key, value in GOOD.items() if key != "AUDIT_KEY"})
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
        ("PII_KEY", "", "PII_KEY"),
        ("PII_KEY", "too-short", "32 random bytes"),
        ("PII_OLD_KEYS", "dGVzdA==", "PII_OLD_KEYS"),
        ("PATROL_GAP_S", "two minutes", "PATROL_GAP_S must be a number"),
        ("PATROL_MAX_POINTS", "0", "at least 1"),
        ("KEY_PLACE_CHECK_DISTANCE_M", "near", "KEY_PLACE_CHECK_DISTANCE_M must be a number"),
        ("KEY_PLACE_MAX_AREA_M2", "-5", "at least"),
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
    assert config["PATROL_GAP_S"] == 120.0 and config["PATROL_MAX_POINTS"] == 5000
    assert config["KEY_PLACE_CHECK_DISTANCE_M"] == 30.0


def test_the_environment_is_read_only_by_the_configuration_module():
    readers = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            named = node.attr if isinstance(node, ast.Attribute) else getattr(node, "name", None)
            imported = [alias.name for alias in node.names] if isinstance(node, ast.ImportFrom) else []
            if named in ("environ", "getenv") or {"environ", "getenv"} & set(imported):
                readers.add(str(path.relative_to(PACKAGE.parent)))
    assert readers == {"patrol/config.py"}
