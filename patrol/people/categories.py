"""Person categories (GB/T 31000 special populations plus care categories) and their extra fields."""

from dataclasses import dataclass

from marshmallow import RAISE, Schema, ValidationError, fields, validate

from patrol import fields as bounded
from patrol import messages


@dataclass(frozen=True)
class ExtraField:
    key: str
    label: str  # Chinese label, also the ledger template's column header
    kind: str = "text"  # text | date | int | choice
    required: bool = False
    choices: tuple = ()
    minimum: int | None = None
    maximum: int | None = None


@dataclass(frozen=True)
class Category:
    code: str
    label: str
    kind: str  # special (GB/T 31000) | care
    fields: tuple = ()


GUARDIAN = ExtraField("guardian", "监护人")


def _label(code):
    """A category's Chinese label, from the catalogue (``people_category.<code>``; it heads the ledger columns)."""
    return messages.text(f"people_category.{code}", "zh-CN")


CATEGORIES = (
    Category(
        "released_prisoner",
        _label("released_prisoner"),
        "special",
        (ExtraField("release_date", "释放日期", "date", True), ExtraField("original_offence", "原罪名")),
    ),
    Category(
        "community_correction",
        _label("community_correction"),
        "special",
        (
            ExtraField("correction_type", "矫正类别", "choice", True, ("管制", "缓刑", "假释", "暂予监外执行")),
            ExtraField("correction_start", "矫正开始日期", "date"),
            ExtraField("correction_end", "矫正结束日期", "date"),
        ),
    ),
    Category(
        "severe_mental_disorder",
        _label("severe_mental_disorder"),
        "special",
        (ExtraField("risk_level", "危险性评估等级", "int", True, minimum=0, maximum=5), GUARDIAN),
    ),
    Category(
        "drug_user",
        _label("drug_user"),
        "special",
        (
            ExtraField(
                "control_status", "管控状态", "choice", False, ("社区戒毒", "社区康复", "戒断三年未复吸", "其他")
            ),
        ),
    ),
    Category("aids_risk", _label("aids_risk"), "special", (ExtraField("follow_up_org", "随访机构"),)),
    Category(
        "key_youth",
        _label("key_youth"),
        "special",
        (
            GUARDIAN,
            ExtraField(
                "youth_type",
                "青少年类型",
                "choice",
                False,
                ("闲散青少年", "不良行为青少年", "服刑人员未成年子女", "其他"),
            ),
        ),
    ),
    Category(
        "elderly_alone",
        _label("elderly_alone"),
        "care",
        (ExtraField("living", "居住情况", "choice", False, ("独居", "空巢")),),
    ),
    Category("left_behind_child", _label("left_behind_child"), "care", (GUARDIAN, ExtraField("school", "就读学校"))),
    Category(
        "disabled",
        _label("disabled"),
        "care",
        (
            ExtraField(
                "disability_type", "残疾类别", "choice", False, ("视力", "听力", "言语", "肢体", "智力", "精神", "多重")
            ),
            ExtraField("disability_grade", "残疾等级", "int", False, minimum=1, maximum=4),
        ),
    ),
    Category(
        "hardship_family",
        _label("hardship_family"),
        "care",
        (ExtraField("assistance_type", "救助类型", "choice", False, ("低保", "特困", "低边", "临时救助")),),
    ),
)
BY_CODE = {c.code: c for c in CATEGORIES}
BY_LABEL = {c.label: c for c in CATEGORIES}
CODES = tuple(BY_CODE)
ATTENTION_LEVELS = {1: "一般", 2: "关注", 3: "重点"}
# Default days between visits at attention level 1 (一般), 2 (关注), 3 (重点); the visit_interval table overrides.
DEFAULT_INTERVALS = {
    "released_prisoner": (90, 30, 14),
    "community_correction": (30, 14, 7),
    "severe_mental_disorder": (90, 30, 14),
    "drug_user": (30, 30, 14),
    "aids_risk": (90, 30, 30),
    "key_youth": (30, 30, 14),
    "elderly_alone": (30, 14, 7),
    "left_behind_child": (30, 30, 14),
    "disabled": (90, 30, 30),
    "hardship_family": (90, 30, 30),
}
EXTRA_FIELDS = {}
for _category in CATEGORIES:
    for _field in _category.fields:
        EXTRA_FIELDS.setdefault(_field.key, _field)


def _marshmallow_field(field):
    kwargs = {"required": field.required, "allow_none": not field.required}
    if field.kind == "date":
        return bounded.Date(**kwargs)
    if field.kind == "int":
        return fields.Integer(strict=True, validate=validate.Range(min=field.minimum, max=field.maximum), **kwargs)
    if field.kind == "choice":
        return fields.String(validate=validate.OneOf(field.choices), **kwargs)
    return fields.String(validate=validate.Length(max=100), **kwargs)


def _schema(category):
    attrs = {f.key: _marshmallow_field(f) for f in category.fields}
    attrs["Meta"] = type("Meta", (), {"unknown": RAISE})
    return Schema.from_dict(attrs, name=f"{category.code}_extra")()


SCHEMAS = {c.code: _schema(c) for c in CATEGORIES}


def validate_extra(code, extra):
    """The category's extra fields, validated by its schema, as JSON-ready values."""
    if code not in BY_CODE:
        raise ValidationError(messages.text("people.unknown_category", code_value=code))
    schema = SCHEMAS[code]
    loaded = schema.load(extra or {})
    return {k: v for k, v in schema.dump(loaded).items() if v is not None}


def default_attention(categories):
    """Attention level implied by the categories: risk 3–5 → 3 (重点), corrections or risk 1–2 → 2."""
    level = 1
    for code, extra in categories.items():
        if code == "severe_mental_disorder":
            risk = extra.get("risk_level") or 0
            level = max(level, 3 if risk >= 3 else 2 if risk >= 1 else 1)
        elif code in ("community_correction", "drug_user"):
            level = max(level, 2)
    return level


def describe():
    """Categories with their extra fields, for forms and the ledger template."""
    return [
        {
            "code": c.code,
            "label": c.label,
            "kind": c.kind,
            "fields": [
                {
                    "key": f.key,
                    "label": f.label,
                    "type": f.kind,
                    "required": f.required,
                    "choices": list(f.choices),
                    "minimum": f.minimum,
                    "maximum": f.maximum,
                }
                for f in c.fields
            ],
        }
        for c in CATEGORIES
    ]
