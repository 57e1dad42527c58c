"""sql.capped_count and CappedCount: counts that stop past a cap, alone or per row of a list."""

import pytest
from django.db.models import OuterRef

from inventory.models import Balance
from inventory.sql import CappedCount, capped_count
from locations.models import Location
from tests.factories import ItemFactory, LocationFactory, set_stock

pytestmark = pytest.mark.django_db


def stocked(location, count):
    for _ in range(count):
        set_stock(ItemFactory(), location, 1)


def test_a_count_stops_one_past_its_cap():
    here = LocationFactory()
    stocked(here, 5)

    assert capped_count(Balance.objects.filter(location=here), cap=3) == 4
    assert capped_count(Balance.objects.filter(location=here), cap=5) == 5


def test_each_row_of_a_list_gets_its_own_capped_count_in_one_query(django_assert_num_queries):
    sizes = {"NONE": 0, "TWO": 2, "MANY": 6}
    for code, count in sizes.items():
        stocked(LocationFactory(code=code), count)
    per_location = CappedCount(Balance.objects.filter(location=OuterRef("pk")), cap=3)

    with django_assert_num_queries(1):
        counted = dict(
            Location.objects.filter(code__in=sizes)
            .annotate(n=per_location)
            .values_list("code", "n")
        )

    assert counted == {"NONE": 0, "TWO": 2, "MANY": 4}
