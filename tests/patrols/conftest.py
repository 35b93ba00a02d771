"""Fixtures shared by the patrol tests."""

import pytest

from patrol.patrols import trackers


@pytest.fixture
def worker(demo, login):
    return login("demo-worker")


@pytest.fixture
def grid(demo):
    return demo["workers"][0][1]


@pytest.fixture
def full_path(monkeypatch):
    """Timestamps of the fixes that reached trackers.receive_fix (the app's full path), in order."""
    seen = []
    real = trackers.receive_fix

    def spy(params, body):
        seen.append(params.get("timestamp"))
        return real(params, body)

    monkeypatch.setattr(trackers, "receive_fix", spy)
    return seen
