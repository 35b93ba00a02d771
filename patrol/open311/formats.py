"""GeoReport v2 answers as JSON or XML (by the .json/.xml suffix), and the spec's error list."""

import xml.etree.ElementTree as ET
from datetime import datetime

from flask import Response, json

from patrol.localtime import to_local

FORMATS = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}

# XML: the root element of each answer and the element of each item in it.
ROOTS = {
    "services": ("services", "service"),
    "requests": ("service_requests", "request"),
    "errors": ("errors", "error"),
}
# Lists inside an item, as XML: container element -> child element.
NESTED = {"attributes": "attribute", "values": "value"}


class Open311Error(Exception):
    """A refusal answered in the spec's format: [{"code": N, "description": "..."}]."""

    def __init__(self, status, description, code=None):
        super().__init__(description)
        self.status = status
        self.description = description
        self.code = code or status


def w3c(moment):
    """ISO 8601 with the local offset (the spec requires a time zone), or None."""
    if moment is None:
        return None
    if isinstance(moment, datetime):
        return to_local(moment).isoformat(timespec="seconds")
    return str(moment)


def _text(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _element(parent, name, value):
    node = ET.SubElement(parent, name)
    if isinstance(value, dict):
        for key, inner in value.items():
            _element(node, key, inner)
    elif isinstance(value, list):
        for inner in value:
            _element(node, NESTED.get(name, "item"), inner)
    else:
        node.text = _text(value)


def to_xml(kind, items):
    """<root><item>…</item>…</root> with the XML declaration (UTF-8), or one object for a definition."""
    if kind == "service_definition":
        root = ET.Element("service_definition")
        for key, value in items.items():
            _element(root, key, value)
    else:
        root_name, item_name = ROOTS[kind]
        root = ET.Element(root_name)
        for item in items:
            _element(root, item_name, item)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def render(fmt, kind, items, status=200):
    """The answer in the requested format."""
    body = to_xml(kind, items) if fmt == "xml" else json.dumps(items, ensure_ascii=False, default=_text)
    return Response(body, status=status, content_type=FORMATS[fmt])


def error(fmt, status, description, code=None):
    """The spec's error answer: a list of {code, description}."""
    fmt = fmt if fmt in FORMATS else "json"
    return render(fmt, "errors", [{"code": code or status, "description": description}], status)
