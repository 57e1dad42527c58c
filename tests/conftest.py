import pytest
from django.db import connection

from inventory.stock import fast_path
from tests.factories import ItemFactory, LocationFactory


def pytest_collection_modifyitems(config, items):
    if connection.vendor == "postgresql":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (row locks, triggers): set DATABASE_URL")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def full_path(monkeypatch):
    """Every write takes the full path of `stock.apply_adjustment`, for tests of its own
    statements: `fast_path` would apply the plain batches in one."""
    monkeypatch.setattr(fast_path, "apply", lambda *_: False)


@pytest.fixture
def location(db):
    return LocationFactory()


@pytest.fixture
def other_location(db):
    return LocationFactory()


@pytest.fixture
def item(db):
    return ItemFactory()
