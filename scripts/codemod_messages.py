"""One-off codemod: "中文 / English" literals -> catalogue codes (patrol/messages/*.json).

Usage: python scripts/codemod_messages.py [files...]   (default: every patrol/**/*.py)
An error call  Conflict("该网格未分配 / grid not assigned", {...})  becomes
Conflict("patrol.grid_not_assigned", {...}); an f-string's fields become keyword params.
Any other bilingual literal (outside documentation) becomes  text("code", **params).
The new codes are merged into both catalogue files; review their names afterwards.
"""

import ast
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "patrol" / "messages"
ERROR_CALLS = {
    "DomainError", "BadRequest", "Unauthorized", "Forbidden", "NotFound", "Conflict", "PreconditionFailed",
    "PayloadTooLarge", "Invalid", "TooManyRequests", "ServiceUnavailable", "PiiKeyError",
}
PREFIX = {
    "patrols": "patrol", "areas": "area", "incidents": "incident", "people": "people", "photos": "photo",
    "tasks": "task", "stats": "report", "auth": "auth", "sync": "sync", "system": "system", "maps": "map",
    "audit": "audit", "demo": "demo",
}
STOP = {"the", "a", "an", "is", "are", "this", "of", "to", "your", "you", "for", "be", "that", "it", "in", "on",
        "by", "and", "its", "has", "have", "was", "with", "as", "at", "can", "may"}
RESERVED = {"code", "errors", "headers", "retry_after", "retry_after_seconds", "language"}
CJK = re.compile(r"[\u3000-\u9fff\uff00-\uffef]")


def bilingual(text):
    """(zh, en) when text is "中文 / English" with CJK on the left, else None."""
    if " / " not in text:
        return None
    zh, en = text.split(" / ", 1)
    if CJK.search(zh) and re.search(r"[A-Za-z]", en):
        return zh.strip(), en.strip()
    return None


def documentation_nodes(tree):
    """String nodes that are documentation (docstrings, description=/metadata=, "title"/"description" values)."""
    skip = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                skip.add(id(first.value))
        if isinstance(node, ast.keyword) and node.arg in ("description", "metadata", "summary", "title"):
            skip.update(id(n) for n in ast.walk(node.value))
        if isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=False):
                if isinstance(key, ast.Constant) and key.value in ("title", "description", "info"):
                    skip.update(id(n) for n in ast.walk(value))
    return skip


def template(node, source):
    """(text with {param} fields, {param: expression source}) of a str constant or f-string."""
    if isinstance(node, ast.Constant):
        return node.value.replace("{", "{{").replace("}", "}}"), {}
    parts, params, names = [], {}, {}
    for value in node.values:
        if isinstance(value, ast.Constant):
            parts.append(value.value.replace("{", "{{").replace("}", "}}"))
            continue
        expr = ast.get_source_segment(source, value.value)
        if expr not in names:
            names[expr] = param_name(value.value, set(names.values()))
            params[names[expr]] = expr
        parts.append("{" + names[expr] + "}")
    return "".join(parts), params


def param_name(expr, taken):
    if isinstance(expr, ast.Name):
        base = expr.id
    elif isinstance(expr, ast.Attribute):
        base = expr.attr
    elif isinstance(expr, ast.Call) and isinstance(expr.func, ast.Name) and expr.func.id == "len":
        base = "count"
    elif isinstance(expr, ast.Subscript) and isinstance(expr.slice, ast.Constant):
        base = str(expr.slice.value)
    elif isinstance(expr, ast.Subscript) and isinstance(expr.value, ast.Name):
        base = expr.value.id
    else:
        base = "value"
    base = re.sub(r"\W", "_", base).strip("_").lower() or "value"
    if base in RESERVED:
        base += "_value"
    name, n = base, 2
    while name in taken:
        name, n = f"{base}{n}", n + 1
    return name


def code_for(path, en, zh, catalogue_zh, catalogue_en):
    parts = path.relative_to(ROOT / "patrol").parts
    prefix = PREFIX.get(parts[0], "request") if len(parts) > 1 else "request"
    words = [w for w in re.findall(r"[a-z0-9]+", re.sub(r"\{[^}]*\}", " ", en.lower())) if w not in STOP]
    slug = "_".join(words[:4]) or "error"
    code, n = f"{prefix}.{slug}", 2
    while code in catalogue_zh and (catalogue_zh[code], catalogue_en[code]) != (zh, en):
        code, n = f"{prefix}.{slug}_{n}", n + 1
    return code


def convert(path, catalogue_zh, catalogue_en):
    source = path.read_text(encoding="utf-8")
    tree = ast.parse(source)
    skip = documentation_nodes(tree)
    edits = []  # (start, end, replacement) in absolute offsets
    offsets = [0]
    for line in source.splitlines(keepends=True):
        offsets.append(offsets[-1] + len(line))

    def col_chars(line, col):
        raw = source.splitlines(keepends=True)[line - 1].encode("utf-8")[:col]
        return len(raw.decode("utf-8"))

    def span(node):
        return offsets[node.lineno - 1] + col_chars(node.lineno, node.col_offset), offsets[
            node.end_lineno - 1
        ] + col_chars(node.end_lineno, node.end_col_offset)

    handled = set()
    uses_text = False
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
        if name not in ERROR_CALLS or not node.args:
            continue
        first = node.args[0]
        found = string_of(first, source)
        if found is None or id(first) in skip:
            continue
        split = found_split(first, source)
        if split is None:
            continue
        (zh, en), params = split
        code = code_for(path, en, zh, catalogue_zh, catalogue_en)
        catalogue_zh[code], catalogue_en[code] = zh, en
        handled.add(id(first))
        for n in ast.walk(first):
            handled.add(id(n))
        start, end = span(first)
        edits.append((start, end, json.dumps(code)))
        if params:
            call_start, call_end = span(node)
            close = call_end - 1
            inner = source[:close].rstrip()
            extra = ", ".join(f"{k}={v}" for k, v in params.items())
            at = len(inner)
            if inner.endswith(","):
                edits.append((at, at, f" {extra},"))
            else:
                edits.append((at, at, f", {extra}"))
    for node in ast.walk(tree):
        if id(node) in handled or id(node) in skip or not isinstance(node, (ast.Constant, ast.JoinedStr)):
            continue
        if isinstance(node, ast.Constant) and not isinstance(node.value, str):
            continue
        split = found_split(node, source)
        if split is None:
            continue
        for n in ast.walk(node):
            handled.add(id(n))
        (zh, en), params = split
        code = code_for(path, en, zh, catalogue_zh, catalogue_en)
        catalogue_zh[code], catalogue_en[code] = zh, en
        start, end = span(node)
        args = "".join(f", {k}={v}" for k, v in params.items())
        edits.append((start, end, f"messages.text({json.dumps(code)}{args})"))
        uses_text = True
    if not edits:
        return 0
    for start, end, replacement in sorted(edits, key=lambda e: (e[0], e[1]), reverse=True):
        source = source[:start] + replacement + source[end:]
    if uses_text and "from patrol import messages" not in source:
        source = add_import(source)
    path.write_text(source, encoding="utf-8")
    return len(edits)


def string_of(node, source):
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
    return None


def found_split(node, source):
    if string_of(node, source) is None:
        return None
    text, params = template(node, source)
    pair = bilingual(text)
    if pair is None:
        return None
    used = set(re.findall(r"\{(\w+)\}", pair[0] + pair[1]))
    return pair, {k: v for k, v in params.items() if k in used}


def add_import(source):
    lines = source.splitlines(keepends=True)
    last = max((i for i, line in enumerate(lines) if line.startswith(("from patrol", "import patrol"))), default=None)
    if last is None:
        last = max((i for i, line in enumerate(lines) if line.startswith(("import ", "from "))), default=0)
    lines.insert(last + 1, "from patrol import messages\n")
    return "".join(lines)


def main(argv):
    files = [Path(a).resolve() for a in argv] or sorted((ROOT / "patrol").rglob("*.py"))
    zh_path, en_path = CATALOGUE / "zh-CN.json", CATALOGUE / "en.json"
    catalogue_zh = json.loads(zh_path.read_text(encoding="utf-8"))
    catalogue_en = json.loads(en_path.read_text(encoding="utf-8"))
    total = 0
    for path in files:
        count = convert(path, catalogue_zh, catalogue_en)
        if count:
            print(f"{path.relative_to(ROOT)}: {count}")
        total += count
    for path, data in ((zh_path, catalogue_zh), (en_path, catalogue_en)):
        path.write_text(json.dumps(dict(sorted(data.items())), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"{total} edits")


if __name__ == "__main__":
    main(sys.argv[1:])
