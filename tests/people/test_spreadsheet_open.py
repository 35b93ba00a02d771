"""The unmasked people CSV opened in LibreOffice Calc keeps every digit of ID and phone numbers and grid codes."""

import pytest

from tests.people.helpers import person_body
from tests.spreadsheet import calc_cells, column


@pytest.fixture
def community(demo, login):
    return login("demo-community")


def test_unmasked_people_csv_keeps_id_phone_and_codes_in_calc(community):
    body = person_body(7)
    assert community.post("/api/v1/people", json=body).status_code == 201
    response = community.get("/api/v1/people?format=csv&unmasked=true&reason=报送区综治中心")
    assert response.status_code == 200
    cells = calc_cells(response.get_data())
    for header, expected in (("身份证号", body["id_number"]), ("联系电话", body["phone"])):
        (value, data_type), *_ = column(cells, header)
        assert data_type == "s" and value.strip() == expected, (header, value)
    (grid_code, data_type), *_ = column(cells, "网格编码")
    assert data_type == "s" and grid_code.strip().isdigit() and len(grid_code.strip()) >= 9
