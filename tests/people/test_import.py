import io

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import text

from patrol.audit.models import AuditEntry
from patrol.extensions import db
from tests.conftest import assert_error_shape
from tests.people.helpers import GRID_1, GRID_2, OUTSIDE_STREET, id_number

HEADERS = ["姓名*", "身份证号*", "联系电话", "住址", "经度*", "纬度*", "人员类别*", "关注等级", "备注", "释放日期",
           "危险性评估等级", "监护人"]  # fmt: skip


def workbook(rows, headers=HEADERS):
    book = Workbook()
    sheet = book.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def good_rows():
    return [
        ["李四", id_number("19750312", 11), "13900001111", "文溪路8号", GRID_1[0], GRID_1[1], "刑满释放人员", "关注",
         None, "2024-05-01", None, None],
        ["王五", id_number("19880720", 12), None, "竹苑街3号", GRID_2[0], GRID_2[1], "严重精神障碍患者、残疾人", None,
         "家属陪同", None, 2, "王妈妈"],
        ["赵六", id_number("19400101", 14), "0571-88886666", "桂花弄1号", GRID_1[0], GRID_1[1], "独居/空巢老人", "重点",
         None, None, None, None],
    ]  # fmt: skip


def post(api, data, dry_run):
    return api.post(
        f"/api/v1/people/import?dry_run={'true' if dry_run else 'false'}",
        data={"file": (io.BytesIO(data), "台账.xlsx")},
        content_type="multipart/form-data",
    )


def snapshot():
    return db.session.execute(
        text(
            "SELECT p.*, (SELECT json_agg(c ORDER BY category) FROM person_category c WHERE c.person_id = p.id) AS c"
            " FROM person p ORDER BY id"
        )  # fmt: skip
    ).all()


@pytest.fixture
def community(demo, login):
    return login("demo-community")


def test_template_has_chinese_headers_and_an_example_row(community, login):
    response = login("demo-worker").get("/api/v1/people/import-template")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).worksheets[0]
    headers = [c.value for c in sheet[1]]
    assert headers[:7] == ["姓名*", "身份证号*", "联系电话", "住址", "经度*", "纬度*", "人员类别*"]
    assert "危险性评估等级" in headers and "释放日期" in headers
    example = [c.value for c in sheet[2]]
    assert example[0].startswith("张三") and len(example[1]) == 18


def test_bad_rows_are_reported_row_by_row_and_nothing_changes(community):
    bad_check = id_number("19750312", 11)[:-1] + ("0" if id_number("19750312", 11)[-1] != "0" else "1")
    rows = good_rows() + [
        ["钱七", bad_check, None, None, GRID_1[0], GRID_1[1], "刑满释放人员", None, None, "2024-01-01", None, None],
        ["孙八", id_number("19900101", 21), None, None, GRID_1[0], GRID_1[1], "外星人", None, None, None, None, None],
        [None, id_number("19900101", 22), None, None, GRID_1[0], GRID_1[1], "残疾人", None, None, None, None, None],
        ["周九", id_number("19900101", 23), None, None, OUTSIDE_STREET[0], OUTSIDE_STREET[1], "残疾人", None, None,
         None, None, None],
        ["吴十", id_number("19900101", 24), None, None, GRID_1[0], GRID_1[1], "严重精神障碍患者", None, None, None, 8,
         None],
        ["郑一", id_number("19900101", 25), None, None, "东经", GRID_1[1], "残疾人", None, None, None, None, None],
        ["李四二", id_number("19750312", 11), None, None, GRID_1[0], GRID_1[1], "残疾人", None, None, None, None, None],
    ]  # fmt: skip
    data = workbook(rows)
    report = post(community, data, dry_run=True)
    assert report.status_code == 200, report.get_json()
    body = report.get_json()
    problems = {(p["row"], p["column"]) for p in body["problems"]}
    assert problems == {
        (5, "身份证号"),  # check digit
        (6, "人员类别"),  # unknown category
        (7, "姓名"),  # missing name
        (8, "经度"),  # outside the street
        (9, "危险性评估等级"),  # risk level 0–5
        (10, "经度"),  # not a number
        (11, "身份证号"),  # same as row 2
    }
    reasons = {p["row"]: p["reason"] for p in body["problems"]}
    assert "校验位" in reasons[5] and "外星人" in reasons[6] and "辖区" in reasons[8] and "第2行" in reasons[11]
    assert all(id_number("19750312", 11) not in p["reason"] for p in body["problems"])
    real = post(community, data, dry_run=False)
    errors = assert_error_shape(real, 422)["errors"]["rows"]
    assert {(p["row"], p["column"]) for p in errors} == problems
    assert snapshot() == []
    assert db.session.query(AuditEntry).filter_by(action="people.import").count() == 0


def test_good_file_imports_and_reimport_changes_nothing(community, login):
    data = workbook(good_rows())
    dry = post(community, data, dry_run=True).get_json()
    assert dry == {"dry_run": True, "rows": 3, "created": 3, "updated": 0, "unchanged": 0, "problems": []}
    assert snapshot() == []
    real = post(community, data, dry_run=False)
    assert real.status_code == 200, real.get_json()
    assert real.get_json()["created"] == 3
    people = {p["name"]: p for p in community.get("/api/v1/people").get_json()}
    assert people["李四"]["grid_code"] == "330106010001001" and people["王五"]["grid_code"] == "330106010001002"
    assert people["王五"]["attention_level"] == 2 and people["赵六"]["attention_level"] == 3
    assert {c["category"] for c in people["王五"]["categories"]} == {"severe_mental_disorder", "disabled"}
    assert people["李四"]["categories"][0]["extra"] == {"release_date": "2024-05-01"}
    assert people["赵六"]["phone"] == "057******6666"
    before = snapshot()
    again = post(community, data, dry_run=False).get_json()
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 3)
    assert snapshot() == before
    dump = " ".join(str(row) for row in before)
    assert id_number("19750312", 11) not in dump and "13900001111" not in dump
    changed = good_rows()
    changed[0][2] = "13900002222"
    merged = post(community, workbook(changed), dry_run=False).get_json()
    assert (merged["created"], merged["updated"], merged["unchanged"]) == (0, 1, 2)
    revealed = community.post(f"/api/v1/people/{people['李四']['id']}/reveal", json={"reason": "核对台账"}).get_json()
    assert revealed["phone"] == "13900002222"
    assert db.session.query(AuditEntry).filter_by(action="people.import").count() == 3


def test_import_refuses_workers_junk_and_missing_columns(community, login):
    assert_error_shape(post(login("demo-worker"), workbook(good_rows()), dry_run=True), 403)
    assert_error_shape(post(community, b"not a spreadsheet", dry_run=True), 422)
    missing = post(community, workbook([["张三"]], headers=["姓名"]), dry_run=True).get_json()
    assert {p["column"] for p in missing["problems"]} >= {"身份证号", "经度", "人员类别"}
    no_file = community.post("/api/v1/people/import?dry_run=true", data={}, content_type="multipart/form-data")
    assert_error_shape(no_file, 422)


def test_another_street_cannot_import_over_a_registered_person(community, login):
    assert post(community, workbook(good_rows()[:1]), dry_run=False).status_code == 200
    other = login("demo-worker")  # a worker is refused outright; another community's admin is out of scope
    assert_error_shape(post(other, workbook(good_rows()[:1]), dry_run=False), 403)
