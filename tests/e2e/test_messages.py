"""The phone shows a server error by its code from the shared catalogue, in its own language."""

import json

import pytest

from tests.e2e.conftest import PHONE


@pytest.fixture
def plain_page(browser, server):
    """A page without the service worker, so that a route can stand in for the server's answer."""
    context = browser.new_context(base_url=server.url, viewport=PHONE, locale="en-US", service_workers="block")
    context.set_default_timeout(15000)
    yield context.new_page()
    context.close()


def _try_sign_in(page):
    page.goto("/app/")
    page.fill("#username", "demo-worker")
    page.fill("#password", "not-the-password")
    with page.expect_request("**/api/v1/auth/login") as sent:
        page.click("#sign-in")
    page.wait_for_selector(".login .error")
    return sent.value, page.locator(".login .error").text_content()


def test_a_refused_sign_in_speaks_the_apps_language(demo, plain_page):
    request, shown = _try_sign_in(plain_page)
    assert request.headers["accept-language"] == "zh-CN"  # the app's language, not the browser's en-US
    assert shown == "登录失败：用户名或密码错误"


def _answer(page, code, message):
    body = json.dumps({"code": code, "status": 401, "message": message, "errors": {}})
    page.route(
        "**/api/v1/auth/login", lambda route: route.fulfill(status=401, content_type="application/json", body=body)
    )


def test_the_code_chooses_the_words_and_an_unknown_code_falls_back_to_the_message(plain_page):
    _answer(plain_page, "auth.bad_credentials", "words of the server")
    assert _try_sign_in(plain_page)[1] == "登录失败：用户名或密码错误"
    plain_page.unroute("**/api/v1/auth/login")
    _answer(plain_page, "auth.something_new", "words of the server")
    assert _try_sign_in(plain_page)[1] == "登录失败：words of the server"
