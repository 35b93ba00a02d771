import pytest

from tests.incidents.helpers import point_in, setup_departments
from tests.open311.upstream import FakeUpstream

GRID = "330106010001001"


@pytest.fixture
def departments(demo):
    return setup_departments()


@pytest.fixture
def admin(departments, login):
    return login("demo-admin")


@pytest.fixture
def street(departments, login):
    return login("demo-street")


@pytest.fixture
def chengguan(departments, login):
    return login("dept-chengguan")


@pytest.fixture
def upstream():
    fake = FakeUpstream()
    yield fake
    fake.close()


@pytest.fixture
def hotline(admin, upstream):
    """The 12345 hotline as a client, its callback on the fake upstream: {"id", "api_key", "secret", …}."""
    response = admin.post("/api/v1/open311/clients", json={"name": "12345热线", "callback_url": upstream.url})
    assert response.status_code == 201, response.get_json()
    issued = response.get_json()
    upstream.secret = issued["secret"]
    return issued


def order(api_key, upstream_id="GD-2026-0001", grid=GRID, **extra):
    """The form fields of a work order inside a grid."""
    lon, lat = point_in(grid)["coordinates"]
    return {
        "api_key": api_key,
        "service_code": "0602",
        "lat": f"{lat:.6f}",
        "long": f"{lon:.6f}",
        "address_string": "文三路 100 号",
        "description": "店铺占道经营",
        "attribute[upstream_id]": upstream_id,
        **extra,
    }
