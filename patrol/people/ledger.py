"""The XLSX ledger (台账): downloadable template, dry-run report, all-or-nothing merge by ID number."""

import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime

from marshmallow import ValidationError
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from shapely.geometry import Point

from patrol import messages
from patrol.areas.models import Area
from patrol.areas.queries import grid_at
from patrol.audit import service as audit
from patrol.auth import roles
from patrol.auth.scope import area_prefix, require_role
from patrol.errors import Invalid
from patrol.extensions import db
from patrol.geo import from_db, in_china
from patrol.localtime import today
from patrol.people import categories as cats
from patrol.people import dry_runs, duplicates, idcard, pii, xlsx_guard
from patrol.people.models import Person, PersonCategory
from patrol.people.service import _checked_workers, _place, _set_categories, _set_workers, scope_clause

MAX_ROWS = 5000
BASE_COLUMNS = (
    ("name", "姓名", True, 10),
    ("id_number", "身份证号", True, 22),
    ("phone", "联系电话", False, 15),
    ("address", "住址", False, 28),
    ("lon", "经度", True, 12),
    ("lat", "纬度", True, 12),
    ("categories", "人员类别", True, 20),
    ("attention_level", "关注等级", False, 10),
    ("notes", "备注", False, 20),
)
EXTRA_COLUMNS = tuple((f.key, f.label, False, 14) for f in cats.EXTRA_FIELDS.values())
COLUMNS = BASE_COLUMNS + EXTRA_COLUMNS
LABEL_TO_KEY = {label: key for key, label, _, _ in COLUMNS}
KEY_TO_LABEL = {key: label for key, label, _, _ in COLUMNS}
ATTENTION_BY_LABEL = {label: level for level, label in cats.ATTENTION_LEVELS.items()}
EXAMPLE = {
    "name": "张三（示例，导入前请删除）",
    "id_number": "330106198001010016",
    "phone": "13800001234",
    "address": "文溪路1号1幢1单元101室",
    "lon": 120.1215,
    "lat": 30.2830,
    "categories": "严重精神障碍患者、残疾人",
    "attention_level": "重点",
    "risk_level": 3,
    "guardian": "张某某",
    "disability_type": "精神",
    "disability_grade": 2,
}


def template_bytes():
    """The ledger template: Chinese headers (required ones marked *), an example row, a notes sheet."""
    book = Workbook()
    sheet = book.active
    sheet.title = "人员台账"
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
    for col, (key, label, required, width) in enumerate(COLUMNS, start=1):
        cell = sheet.cell(row=1, column=col, value=label + ("*" if required else ""))
        cell.font, cell.fill = bold, fill
        letter = cell.column_letter
        sheet.column_dimensions[letter].width = width
        example = sheet.cell(row=2, column=col, value=EXAMPLE.get(key))
        if key in ("id_number", "phone"):
            example.number_format = "@"
            for row in range(3, 1003):
                sheet.cell(row=row, column=col).number_format = "@"  # keep 18 digits exact
    sheet.freeze_panes = "A2"
    notes = book.create_sheet("填写说明")
    notes.append(["说明"])
    notes.append(["带*的列必填；身份证号、电话请按文本填写；第2行为示例，导入前请删除。"])
    notes.append(
        ["人员类别可填多个，用顿号（、）或逗号分隔；关注等级填 一般/关注/重点（或 1/2/3），空则按类别自动确定。"]
    )
    notes.append(["经纬度为 WGS-84（GPS）坐标，位置须在本辖区网格内。本辖区已登记的身份证号将合并更新，不会重复登记。"])
    notes.append([])
    notes.append(["人员类别", "附加信息列（带*为该类别必填）"])
    for category in cats.CATEGORIES:
        notes.append([category.label, "、".join(f.label + ("*" if f.required else "") for f in category.fields)])
    notes.column_dimensions["A"].width = 18
    notes.column_dimensions["B"].width = 60
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@dataclass
class LedgerRow:
    row: int
    values: dict
    problems: list = field(default_factory=list)
    parsed: dict = field(default_factory=dict)

    def problem(self, key, reason):
        self.problems.append({"row": self.row, "column": KEY_TO_LABEL.get(key, key), "reason": reason})


def _text(value):
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


def _read_rows(stream):
    rows = xlsx_guard.sheet_rows(stream)
    try:
        header = next(rows, None) or ()
        keys = [LABEL_TO_KEY.get((_text(h) or "").rstrip("*")) for h in header]
        header_problems = [
            {"row": 1, "column": label, "reason": messages.text("people.required_column_missing")}
            for key, label, required, _ in BASE_COLUMNS
            if required and key not in keys
        ]
        found = []
        for number, values in enumerate(rows, start=2):
            if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
                continue
            if len(found) >= MAX_ROWS:
                raise Invalid(
                    "people.too_many_rows", {"file": [messages.text("field.too_many_rows")]}, max_rows=MAX_ROWS
                )
            found.append(LedgerRow(number, {k: v for k, v in zip(keys, values, strict=False) if k}))
        return header_problems, found
    finally:
        rows.close()


def _parse_basic(row):
    values, parsed = row.values, row.parsed
    parsed["name"] = _text(values.get("name"))
    if not parsed["name"]:
        row.problem("name", messages.text("people.name_required"))
    elif len(parsed["name"]) > 50:
        row.problem("name", messages.text("people.name_too_long"))
    raw_id = values.get("id_number")
    if isinstance(raw_id, float):
        row.problem("id_number", messages.text("people.id_number_as_text"))
    elif not _text(raw_id):
        row.problem("id_number", messages.text("people.id_number_required"))
    else:
        try:
            parsed["id_number"] = idcard.validate(_text(raw_id))
        except idcard.IdNumberError as exc:
            row.problem("id_number", str(exc))
    phone = _text(values.get("phone"))
    if phone:
        try:
            parsed["phone"] = idcard.normalize_phone(phone)
        except ValueError as exc:
            row.problem("phone", str(exc))
    parsed["address"] = (_text(values.get("address")) or "")[:200] or None
    parsed["notes"] = _text(values.get("notes"))
    level = _text(values.get("attention_level"))
    if level:
        parsed["attention_level"] = ATTENTION_BY_LABEL.get(level) or (int(level) if level in ("1", "2", "3") else None)
        if parsed["attention_level"] is None:
            row.problem("attention_level", messages.text("people.attention_level_invalid"))


def _parse_location(row, prefix):
    try:
        lon, lat = float(row.values.get("lon")), float(row.values.get("lat"))
    except (TypeError, ValueError):
        row.problem("lon", messages.text("people.coordinates_required"))
        return
    if not (lon == lon and lat == lat) or not in_china(lon, lat):
        row.problem("lon", messages.text("people.coordinates_outside_china"))
        return
    grid_id = grid_at(lon, lat, code_prefix=prefix)
    if grid_id is None:
        row.problem("lon", messages.text("people.row_location_outside_area"))
        return
    row.parsed["location"] = Point(lon, lat)
    row.parsed["grid_id"] = grid_id


def _cell_value(value, kind):
    if isinstance(value, datetime):
        return value.date().isoformat() if kind == "date" else value
    if isinstance(value, date):
        return value.isoformat()
    if kind == "int" and isinstance(value, float) and value.is_integer():
        return int(value)
    if kind == "int" and isinstance(value, str) and re.fullmatch(r"\s*\d+\s*", value):
        return int(value)
    if kind == "date" and isinstance(value, str):
        return value.strip().replace("/", "-").replace(".", "-")
    return _text(value) if not isinstance(value, int) else value


def _parse_categories(row):
    labels = [part for part in re.split(r"[、,，;；\s]+", _text(row.values.get("categories")) or "") if part]
    if not labels:
        row.problem("categories", messages.text("people.category_required"))
        return
    checked = {}
    for label in labels:
        category = cats.BY_LABEL.get(label) or cats.BY_CODE.get(label)
        if category is None:
            row.problem("categories", messages.text("people.unknown_category_label", label=label))
            continue
        extra = {
            f.key: _cell_value(row.values[f.key], f.kind)
            for f in category.fields
            if row.values.get(f.key) not in (None, "")
        }
        try:
            checked[category.code] = cats.validate_extra(category.code, extra)
        except ValidationError as exc:
            for key, problems in exc.messages.items():
                row.problem(key, f"{category.label}：{'；'.join(map(str, problems))}")
    row.parsed["categories"] = checked


def parse(stream, user):
    """Every row parsed and checked; problems list row number, column and reason."""
    header_problems, rows = _read_rows(stream)
    if header_problems:
        return header_problems, []
    prefix = area_prefix(user)
    seen = {}
    for row in rows:
        _parse_basic(row)
        _parse_location(row, prefix)
        _parse_categories(row)
        number = row.parsed.get("id_number")
        if number in seen:
            row.problem("id_number", messages.text("people.duplicate_id_number_row", seen=seen[number]))
        elif number:
            seen[number] = row.row
    _match_registered(user, rows, list(seen))
    problems = [p for row in rows for p in row.problems]
    return problems, rows


def _match_registered(user, rows, numbers):
    """Each row's record in the caller's scope to merge into; records elsewhere are only noted.

    A number registered only in another area is imported as a new record (and recorded as a
    duplicate on a real run), exactly as an unknown number, so the report reveals nothing outside the scope.
    """
    existing = pii.find_many_by_id_number(numbers)
    ids = [p.id for people in existing.values() for p in people]
    visible = set(db.session.execute(db.select(Person.id).where(Person.id.in_(ids), scope_clause(user))).scalars())
    for row in rows:
        people = existing.get(row.parsed.get("id_number"), [])
        mine = [p for p in people if p.id in visible]
        row.parsed["existing"] = mine[0] if mine else None
        row.parsed["elsewhere"] = [] if mine else people


def _merge(person, parsed, grid):
    """Apply a ledger row to an existing person; True when anything changed."""
    changed = False
    if person.name != parsed["name"]:
        person.name, changed = parsed["name"], True
    if parsed.get("phone") and not pii.phone_unchanged(person, parsed["phone"]):
        pii.set_phone(person, parsed["phone"])
        changed = True
    for key in ("address", "notes", "attention_level"):
        if parsed.get(key) is not None and getattr(person, key) != parsed[key]:
            setattr(person, key, parsed[key])
            changed = True
    old = from_db(person.location)
    if old is None or old.distance(parsed["location"]) > 1e-7 or person.grid_id != grid.id:
        _place(person, grid, parsed["location"])
        changed = True
    current = {c.category: c for c in person.categories}
    for code, extra in parsed["categories"].items():
        if code not in current or current[code].extra != extra:
            if code in current:
                current[code].extra = extra
            else:
                person.categories.append(PersonCategory(category=code, extra=extra))
            changed = True
    if changed:
        person.updated_at = db.func.now()
    return changed


def _create(user, parsed, grid):
    person = Person(
        name=parsed["name"],
        address=parsed.get("address"),
        attention_level=parsed.get("attention_level") or cats.default_attention(parsed["categories"]),
        registered_on=today(),
        notes=parsed.get("notes"),
        created_by=user.id,
    )
    pii.set_id_number(person, parsed["id_number"])
    pii.set_phone(person, parsed.get("phone"))
    _place(person, grid, parsed["location"])
    _set_categories(person, parsed["categories"])
    _set_workers(person, _checked_workers(user, grid, None))
    db.session.add(person)
    return person


def import_ledger(user, stream, dry_run=True):
    """Dry run: report every bad row, store nothing (audited, limited per hour).

    Real run: all rows or none; numbers registered in the caller's scope merge by ID number.
    """
    require_role(user, *roles.STAFF)
    if dry_run:
        dry_runs.admit(user)
    else:
        duplicates.lock_registry()
    problems, rows = parse(stream, user)
    result = {"dry_run": dry_run, "rows": len(rows), "created": 0, "updated": 0, "unchanged": 0, "problems": problems}
    if problems:
        db.session.rollback()
        if dry_run:
            return result
        raise Invalid("people.import_refused", {"rows": problems}, count=len(problems))
    grids = {
        g.id: g
        for g in db.session.execute(db.select(Area).where(Area.id.in_({r.parsed["grid_id"] for r in rows}))).scalars()
    }
    found_elsewhere = []
    for row in rows:
        grid = grids[row.parsed["grid_id"]]
        person = row.parsed["existing"]
        if person is None:
            found_elsewhere.append((_create(user, row.parsed, grid), row.parsed["elsewhere"]))
            result["created"] += 1
        elif _merge(person, row.parsed, grid):
            result["updated"] += 1
        else:
            result["unchanged"] += 1
    if dry_run:
        db.session.rollback()
        return result
    db.session.flush()
    for person, others in found_elsewhere:
        duplicates.record(user, person, others)
    audit.record(
        user, "people.import", "person", None, area_prefix(user) or None,
        {k: result[k] for k in ("rows", "created", "updated", "unchanged")},
    )  # fmt: skip
    db.session.commit()
    return result
