import pytest
from django.db import connection

from tests.factories import ItemFactory, LocationFactory


def pytest_collection_modifyitems(config, items):
    if connection.vendor == "postgresql":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (row locks, triggers): set DATABASE_URL")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def location(db):
    return LocationFactory()


@pytest.fixture
def other_location(db):
    return LocationFactory()


@pytest.fixture
def item(db):
    return ItemFactory()
