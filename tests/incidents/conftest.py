import pytest

from patrol.incidents import service, workflow
from tests.incidents.helpers import setup_departments


@pytest.fixture
def departments(demo):
    """Department ids by code for the demo street, with handler users dept-chengguan and dept-huanwei."""
    return setup_departments()


@pytest.fixture
def worker(departments, login):
    return login("demo-worker")


@pytest.fixture
def street(departments, login):
    return login("demo-street")


@pytest.fixture
def chengguan(departments, login):
    return login("dept-chengguan")


@pytest.fixture
def huanwei(departments, login):
    return login("dept-huanwei")


@pytest.fixture
def admin(departments, login):
    return login("demo-admin")


class Clock:
    now = None


@pytest.fixture
def clock(monkeypatch):
    """Set clock.now to act in the past: reports and actions take their time from it."""
    clock = Clock()
    monkeypatch.setattr(service, "utcnow", lambda: clock.now)
    monkeypatch.setattr(workflow, "utcnow", lambda: clock.now)
    return clock
