"""The one message catalogue (zh-CN, en) shared by the server and both front ends.

Keys are stable dotted codes (``patrol.grid_not_assigned``, ``status.reported``); values are
templates with ``{name}`` placeholders. The server renders ``message`` by the request's
``Accept-Language`` (q-values), else the ``DEFAULT_LANGUAGE`` setting.
"""

import json
import re
from functools import cache
from pathlib import Path

from flask import current_app, has_request_context, request

LANGUAGES = ("zh-CN", "en")
FALLBACK_LANGUAGE = "zh-CN"
CODE_PATTERN = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")
_HERE = Path(__file__).parent


@cache
def catalogue(language):
    """All templates of one language, by code."""
    return json.loads((_HERE / f"{language}.json").read_text(encoding="utf-8"))


def is_code(value):
    """True when ``value`` names a catalogue entry (rather than being a literal message)."""
    return isinstance(value, str) and CODE_PATTERN.match(value) is not None and value in catalogue(FALLBACK_LANGUAGE)


def default_language():
    """The configured DEFAULT_LANGUAGE inside an app, else zh-CN."""
    try:
        return current_app.config.get("DEFAULT_LANGUAGE") or FALLBACK_LANGUAGE
    except RuntimeError:
        return FALLBACK_LANGUAGE


def request_language():
    """The best of our languages for this request's Accept-Language, else the configured default."""
    default = default_language()
    if not has_request_context():
        return default
    return request.accept_languages.best_match(LANGUAGES, default=default)


def text(code, language=None, **params):
    """The message for ``code`` in ``language`` (default: the request's), placeholders filled."""
    language = language or request_language()
    template = catalogue(language).get(code) or catalogue(FALLBACK_LANGUAGE).get(code)
    if template is None:
        return code
    try:
        return template.format(**params)
    except (KeyError, IndexError, ValueError):
        return template


def labels(prefix, language=None, keys=None):
    """``prefix.<key>`` entries as {key: text} (in the order of ``keys`` when given), e.g. labels("shift")."""
    language = language or request_language()
    start = prefix + "."
    found = {code[len(start) :]: value for code, value in catalogue(language).items() if code.startswith(start)}
    return found if keys is None else {key: found.get(key, key) for key in keys}


_CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")
_LATIN = re.compile(r"[A-Za-z]{2,}")
_SLASH = re.compile(r"\s?/ ")


def is_bilingual(value):
    """True for an old-style "中文 / English" pair: on one line, CJK before a " / " and English words after it."""
    if not isinstance(value, str) or "/ " not in value:
        return False
    for line in value.splitlines():
        for found in _SLASH.finditer(line):
            left, right = line[: found.start()], line[found.end() :]
            if _CJK.search(left) and _LATIN.search(right) and not _CJK.search(right[:3]):
                return True
    return False
