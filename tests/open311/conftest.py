import pytest

# The demo street's departments and its staff, as the incident tests define them (one definition).
from tests.incidents.conftest import admin, chengguan, departments, street  # noqa: F401
from tests.incidents.helpers import point_in
from tests.open311.upstream import FakeUpstream

GRID = "330106010001001"


@pytest.fixture
def upstream():
    fake = FakeUpstream()
    yield fake
    fake.close()


@pytest.fixture
def hotline(admin, upstream):  # noqa: F811 (the imported fixture, requested by name)
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
