"""The message catalogue: both languages complete, every error a code, messages in one language."""

import ast
import re
from pathlib import Path

import pytest

from patrol import messages
from tests.conftest import assert_error_shape

ROOT = Path(__file__).resolve().parents[2]
ERROR_CLASSES = {
    "DomainError", "BadRequest", "Unauthorized", "Forbidden", "NotFound", "Conflict", "PreconditionFailed",
    "PayloadTooLarge", "Invalid", "TooManyRequests", "ServiceUnavailable",
}  # fmt: skip
DOCUMENTATION_KEYWORDS = {"description", "metadata", "summary", "title"}
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def placeholders(template):
    return set(PLACEHOLDER.findall(template))


def test_both_languages_have_the_same_codes_and_no_empty_text():
    zh, en = messages.catalogue("zh-CN"), messages.catalogue("en")
    assert sorted(set(zh) ^ set(en)) == []
    ui_strings = ("pwa.", "review.")  # the front ends' own keys keep their camelCase names
    assert [code for code in zh if not code.startswith(ui_strings) and not messages.CODE_PATTERN.match(code)] == []
    assert [code for code, value in {**zh, **en}.items() if not value.strip()] == []
    assert [code for code in zh if placeholders(zh[code]) != placeholders(en[code])] == []
    assert [code for code in zh if messages.is_bilingual(zh[code]) or messages.is_bilingual(en[code])] == []


def _sources():
    return sorted((ROOT / "patrol").rglob("*.py"))


def _documentation(tree):
    """Docstrings, OpenAPI/OGC descriptions and titles: documentation may stay bilingual."""
    skip = set()
    for node in ast.walk(tree):
        first = (getattr(node, "body", None) or [None])[0] if isinstance(getattr(node, "body", None), list) else None
        if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
            skip.add(id(first.value))
        if isinstance(node, ast.keyword) and node.arg in DOCUMENTATION_KEYWORDS:
            skip.update(id(inner) for inner in ast.walk(node.value))
        if isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=False):
                if isinstance(key, ast.Constant) and key.value in ("title", "description"):
                    skip.update(id(inner) for inner in ast.walk(value))
    return skip


def _string_text(node):
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(part.value if isinstance(part, ast.Constant) else "{}" for part in node.values)
    return None


def test_no_bilingual_literal_is_left_in_the_code():
    """New errors name a code (see docs/architecture.md, "Errors and messages"), not "中文 / English"."""
    found = []
    for path in _sources():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        skip = _documentation(tree)
        for node in ast.walk(tree):
            if id(node) in skip or not isinstance(node, (ast.Constant, ast.JoinedStr)):
                continue
            value = _string_text(node)
            if value is not None and messages.is_bilingual(value):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {value[:70]}")
    assert found == [], "bilingual literals; give them a code in patrol/messages:\n" + "\n".join(found)


def _named_codes(tree):
    """Codes named literally by raises (first argument) and by messages.text/labels calls."""
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
        first = node.args[0]
        is_text = name == "text" and isinstance(func, ast.Attribute) and getattr(func.value, "id", "") == "messages"
        if (name in ERROR_CLASSES or is_text) and isinstance(first, ast.Constant) and isinstance(first.value, str):
            yield node.lineno, first.value


def test_every_code_named_in_the_code_is_in_the_catalogue():
    known = messages.catalogue("en")
    missing = [
        f"{path.relative_to(ROOT)}:{line}: {code}"
        for path in _sources()
        for line, code in _named_codes(ast.parse(path.read_text(encoding="utf-8")))
        if code not in known
    ]
    assert missing == []


def test_a_literal_message_still_works_during_the_transition(app):
    from patrol.errors import Conflict

    with app.test_request_context():
        error = Conflict("旧式消息 / an old-style message")
        assert error.code == "request.conflict" and error.message == "旧式消息 / an old-style message"
        assert Conflict("patrol.grid_not_assigned").message == "该网格未分配给您"


FAILING_REQUESTS = [
    ("GET", "/api/v1/auth/me", None, 401, "auth.required"),
    ("GET", "/api/v1/no-such-thing", None, 404, "request.not_found"),
    ("DELETE", "/api/v1/auth/login", None, 405, "request.method_not_allowed"),
    ("POST", "/api/v1/auth/login", {"username": "nobody", "password": "wrong-password"}, 401, "auth.bad_credentials"),
    ("POST", "/api/v1/auth/login", {"username": 5}, 422, "request.validation_failed"),
]


@pytest.mark.parametrize(("method", "url", "body", "status", "code"), FAILING_REQUESTS)
def test_failing_requests_answer_a_code_and_a_one_language_message(client, method, url, body, status, code):
    answers = {
        language: assert_error_shape(
            client.open(url, method=method, json=body, headers={"Accept-Language": language}), status, code
        )
        for language in ("zh-CN", "en")
    }
    assert answers["zh-CN"]["message"] == messages.text(code, "zh-CN")
    assert answers["en"]["message"] == messages.text(code, "en")
    assert answers["zh-CN"]["message"] != answers["en"]["message"]


def test_invalid_json_has_its_own_code(client):
    response = client.post(
        "/api/v1/auth/login", data="{not json", headers={"Content-Type": "application/json", "Accept-Language": "en"}
    )
    body = assert_error_shape(response, 400, "request.invalid_json")
    assert body["message"] == "the request body is not valid JSON"


@pytest.mark.parametrize(
    ("header", "language"),
    [
        ("en", "en"),
        ("en-US,en;q=0.9", "en"),
        ("zh-CN,zh;q=0.9,en;q=0.8", "zh-CN"),
        ("zh", "zh-CN"),
        ("en;q=0.4, zh-CN;q=0.8", "zh-CN"),
        ("zh-CN;q=0.2, en;q=0.7", "en"),
        ("fr", "zh-CN"),
        ("", "zh-CN"),
    ],
)
def test_accept_language_picks_the_message_language(client, header, language):
    headers = {"Accept-Language": header} if header else {}
    body = assert_error_shape(client.get("/api/v1/auth/me", headers=headers), 401, "auth.required")
    assert body["message"] == messages.text("auth.required", language)


def test_the_configured_default_language_answers_without_a_preference(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "DEFAULT_LANGUAGE", "en")
    body = assert_error_shape(client.get("/api/v1/auth/me"), 401, "auth.required")
    assert body["message"] == "authentication required"
    body = assert_error_shape(client.get("/api/v1/auth/me", headers={"Accept-Language": "zh-CN"}), 401)
    assert body["message"] == "请先登录"


def test_parameters_fill_the_message_in_both_languages(app):
    from patrol.errors import Invalid

    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert Invalid("people.too_many_rows", max_rows=500).message == "at most 500 rows per import"
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        assert Invalid("people.too_many_rows", max_rows=500).message == "一次最多导入 500 行"


def test_our_field_problems_follow_the_request_language_too(client):
    url = "/api/v1/osmand?lat=30.3&lon=120.2&timestamp=1700000000"  # a tracker fix without its device id
    answers = {
        language: assert_error_shape(client.get(url, headers={"Accept-Language": language}), 400)
        for language in ("zh-CN", "en")
    }
    assert answers["en"]["code"] == answers["zh-CN"]["code"] == "patrol.unknown_device"
    assert answers["en"]["errors"] == {"id": ["device id required"]}
    assert answers["zh-CN"]["errors"] == {"id": ["需要设备编号"]}
