"""A refused stocktake in words a person can act on: the location by its name, never its id."""

import uuid

import pytest
from django.urls import reverse

from inventory.models import Stocktake
from inventory.stocktakes import services as stocktakes
from tests.factories import ItemFactory, manager, set_stock

pytestmark = pytest.mark.django_db


def test_applying_at_a_location_switched_off_since_says_so_by_name_once(client, location):
    boss = manager()
    items = [ItemFactory() for _ in range(3)]
    for item in items:
        set_stock(item, location, 5)
    count = stocktakes.start_stocktake(location=location, actor=boss)
    for item in items:
        stocktakes.count_item(stocktake=count, code=item.sku, quantity=4, actor=boss)
    stocktakes.submit_stocktake(stocktake=count, actor=boss)
    location.enabled = False
    location.save()
    client.force_login(boss)

    page = client.post(
        reverse("stocktakes:apply", args=[count.pk]), {"token": str(uuid.uuid4())}, follow=True
    )

    notices = [str(message) for message in page.context["messages"]]
    assert notices == [
        f"Nothing was changed. {location.label} is switched off: turn it on under Locations first."
    ]
    assert f"location {location.pk}" not in page.content.decode()
    count.refresh_from_db()
    assert count.status == Stocktake.Status.SUBMITTED
