"""Fixtures of the Ecwid tests: a token as Ecwid clients send it, a product tracked as a whole
and a product tracked by combination."""

import pytest

from inventory.models import Item
from tests.factories import ItemFactory


@pytest.fixture
def writer(bearer):
    return bearer()


@pytest.fixture
def product(db):
    """A product tracked as a whole: Ecwid's product-level stock."""
    return ItemFactory(sku="MUG", product_id=200, variant_id=None, tracking=Item.Tracking.PRODUCT)


@pytest.fixture
def combination(db):
    """A variant of product 130: an Ecwid combination."""
    return ItemFactory(sku="TEE-S", product_id=130, variant_id=78)
