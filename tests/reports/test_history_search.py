"""The history search finds what people type: part of a SKU, a word of an item's name, the short
transaction id the lists show, words of the reason (its name, the note) and of the reference."""

import pytest
from django.db import connection

from inventory.models import Adjustment, AdjustmentLine
from inventory.reports import history_search
from inventory.reports.history_search import search_adjustments, search_lines, search_words
from inventory.stock import LineInput, apply_adjustment
from tests.factories import ItemFactory, LocationFactory

pytestmark = pytest.mark.django_db

Code = Adjustment.ReasonCode


@pytest.fixture
def shop():
    """A shop's week: a sale with its order number, a damaged beanie, a delivery with its PO."""
    store = LocationFactory(code="DT", label="Downtown store")
    tee = ItemFactory(sku="TEE-BLA-L", name="Crew T-shirt, Black, L", barcode="4006381333931")
    white = ItemFactory(sku="TEE-WHI-L", name="Crew T-shirt, White, L")
    beanie = ItemFactory(sku="BEANIE", name="Wool Beanie")

    def change(reason="", items=(tee,), **why):
        return apply_adjustment(
            kind=Adjustment.Kind.RELATIVE,
            source=Adjustment.Source.ADMIN,
            reason=reason,
            lines=[LineInput(location_id=store.pk, item_id=item.pk, quantity=5) for item in items],
            **why,
        )

    return {
        "tee": tee,
        "white": white,
        "beanie": beanie,
        "delivery": change(
            "Spring delivery", (tee, white, beanie), reason_code=Code.RECEIVED, reference="PO-2291"
        ),
        "sale": change("Sale, order #10741", (tee,), reason_code=Code.SALE),
        "damage": change("Seams torn", (beanie,), reason_code=Code.DAMAGED),
    }


def found(term: str) -> set[tuple[str, str]]:
    """(SKU, note) of each ledger line the search finds."""
    lines = search_lines(AdjustmentLine.objects.all(), term)
    return set(lines.values_list("item__sku", "adjustment__reason"))


DELIVERY = {("TEE-BLA-L", "Spring delivery"), ("TEE-WHI-L", "Spring delivery")}


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        # part of a SKU, in any case
        ("TEE-BLA", {("TEE-BLA-L", "Spring delivery"), ("TEE-BLA-L", "Sale, order #10741")}),
        ("tee-bla", {("TEE-BLA-L", "Spring delivery"), ("TEE-BLA-L", "Sale, order #10741")}),
        # a word of the item's name, in any case
        ("beanie", {("BEANIE", "Spring delivery"), ("BEANIE", "Seams torn")}),
        ("WOOL", {("BEANIE", "Spring delivery"), ("BEANIE", "Seams torn")}),
        # the barcode
        ("4006381333931", {("TEE-BLA-L", "Spring delivery"), ("TEE-BLA-L", "Sale, order #10741")}),
        # words of the note
        ("10741", {("TEE-BLA-L", "Sale, order #10741")}),
        ("order 10741", {("TEE-BLA-L", "Sale, order #10741")}),
        ("torn", {("BEANIE", "Seams torn")}),
        # the reference
        ("PO-2291", {*DELIVERY, ("BEANIE", "Spring delivery")}),
        ("2291", {*DELIVERY, ("BEANIE", "Spring delivery")}),
        # the reason's name
        ("damaged", {("BEANIE", "Seams torn")}),
        ("Received", {*DELIVERY, ("BEANIE", "Spring delivery")}),
        # every word must match, each anywhere
        ("white delivery", {("TEE-WHI-L", "Spring delivery")}),
        ("beanie torn", {("BEANIE", "Seams torn")}),
        ('"Crew T-shirt, White"', {("TEE-WHI-L", "Spring delivery")}),
        # nothing
        ("hoodie", set()),
        ("beanie 10741", set()),
    ],
)
def test_search_finds_what_people_type(shop, term, expected):
    assert found(term) == expected


def test_a_blank_search_keeps_every_line(shop):
    assert len(found("")) == 5
    assert found("   ") == found("")


@pytest.mark.parametrize("case", [str.lower, str.upper])
def test_the_short_id_shown_in_the_list_finds_its_transaction(shop, case):
    sale = shop["sale"]

    assert found(case(sale.short_id)) == {("TEE-BLA-L", "Sale, order #10741")}
    assert found(str(sale.transaction_id)) == {("TEE-BLA-L", "Sale, order #10741")}
    assert list(search_adjustments(Adjustment.objects.all(), sale.short_id)) == [sale]


def test_transactions_are_found_by_their_items_and_their_reasons(shop):
    adjustments = Adjustment.objects.all()

    assert set(search_adjustments(adjustments, "beanie")) == {shop["delivery"], shop["damage"]}
    assert set(search_adjustments(adjustments, "10741")) == {shop["sale"]}
    assert set(search_adjustments(adjustments, "TEE-WHI received")) == {shop["delivery"]}
    # once each, however many of its lines match
    assert search_adjustments(adjustments, "Crew").count() == 2


def test_many_matches_are_left_to_the_database_with_the_same_result(shop, monkeypatch):
    expected = {term: found(term) for term in ("Crew", "Spring", "TEE-BLA delivery")}
    monkeypatch.setattr(history_search, "LISTED_IDS", 1)

    assert {term: found(term) for term in expected} == expected


def test_a_search_costs_two_queries_a_word_however_long_the_history(
    shop, django_assert_num_queries
):
    with django_assert_num_queries(2 * 2 + 1):
        found("TEE order")


def test_words_split_as_the_admin_splits_them():
    assert search_words('  beanie "order #10741"  beanie ') == ["beanie", "order #10741"]
    assert search_words('"') == ['"']
    assert len(search_words(" ".join(f"w{n}" for n in range(50)))) == history_search.MAX_WORDS


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("term", "index"),
    [
        ("0a1b2c3d", "adjustment_short_id"),
        ("10741", "adjustment_note_trgm"),
        ("PO-2291", "adjustment_reference_trgm"),
    ],
)
def test_postgresql_finds_words_of_reasons_through_their_indexes(shop, term, index):
    """The search filters on the very expressions migration 0021 indexed (a change of Django's
    SQL for `icontains`, or of the short id's, would fall back to reading every adjustment)."""
    query = Adjustment.objects.alias(short_id_digits=history_search.short_id_sql()).filter(
        history_search._adjustment_condition(term)
    )
    sql, params = query.order_by().values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())

    assert index in plan
