"""CSV upload of stocktake counts: preview writes nothing, replace sets, add adds, the same
file is never added twice, and the cost does not grow with the file."""

import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from inventory.models import Item, StocktakeEvent, StocktakeLine, StocktakeUpload
from inventory.stocktakes import selectors
from inventory.stocktakes import services as stocktakes
from inventory.stocktakes.csv_reading import MAX_ROWS
from inventory.stocktakes.csv_upload import apply_upload, preview_upload
from inventory.stocktakes.services import StocktakeError
from tests.concurrency import run_together
from tests.factories import ItemFactory, LocationFactory, UserFactory, set_stock, store_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def counter(location):
    return store_staff(location)


@pytest.fixture
def count(location, counter):
    return stocktakes.start_stocktake(location=location, actor=counter)


def csv(*lines: str, newline: str = "\n") -> bytes:
    return (newline.join(lines) + newline).encode()


def counts(stocktake) -> dict[str, int | None]:
    return dict(
        StocktakeLine.objects.filter(stocktake=stocktake).values_list(
            "item__sku", "counted_quantity"
        )
    )


def snapshot(stocktake):
    lines = StocktakeLine.objects.filter(stocktake=stocktake).order_by("item_id")
    return (
        list(lines.values_list("item_id", "counted_quantity", "counted_at", "counted_by")),
        StocktakeUpload.objects.count(),
        StocktakeEvent.objects.count(),
    )


def test_preview_shows_current_and_new_counts_and_writes_nothing(location, count, counter):
    scanned, fresh = ItemFactory(), ItemFactory()
    stocktakes.count_item(stocktake=count, code=scanned.sku, quantity=3, actor=counter)
    before = snapshot(count)
    data = csv("sku,counted", f"{scanned.sku},4", f"{fresh.sku},2")

    for mode, expected in (("replace", [4, 2]), ("add", [7, 2])):
        preview = preview_upload(stocktake=count, data=data, mode=mode)

        assert preview.ok, preview
        assert [row.current_count for row in preview.rows] == [3, None]
        assert [row.new_count for row in preview.rows] == expected
        assert [row.item.pk for row in preview.rows] == [scanned.pk, fresh.pk]
        assert str(preview.rows[0].item) == str(scanned)  # "SKU · name", as everywhere
        assert [row.line_number for row in preview.rows] == [2, 3]
    assert snapshot(count) == before


def test_replace_sets_the_counts(location, count, counter):
    item, other = ItemFactory(), ItemFactory()
    set_stock(item, location, 9)
    stocktakes.count_item(stocktake=count, code=item.sku, quantity=3, actor=counter)

    preview = apply_upload(
        stocktake=count,
        data=csv("sku,counted", f"{item.sku},5", f"{other.sku},0"),
        mode="replace",
        actor=counter,
    )

    assert preview.ok
    assert counts(count) == {item.sku: 5, other.sku: 0}
    line = count.lines.get(item=item)
    assert (line.expected_quantity, line.counted_by, line.variance) == (9, counter, -4)
    assert line.counted_at is not None
    assert count.lines.get(item=other).expected_quantity == 0
    upload = count.uploads.get()
    assert (upload.sha256, upload.mode, upload.uploaded_by) == (preview.sha256, "replace", counter)
    event = count.events.last()
    assert (event.action, event.detail, event.actor) == ("uploaded", "2 rows, replace", counter)


def test_add_adds_to_scans(count, counter):
    item = ItemFactory()
    for _ in range(2):
        stocktakes.count_item(stocktake=count, code=item.barcode, add=1, actor=counter)

    apply_upload(
        stocktake=count, data=csv("sku,counted", f"{item.sku},5"), mode="add", actor=counter
    )

    assert counts(count) == {item.sku: 7}


def test_barcode_and_code_headers(count, counter):
    by_barcode, by_sku = ItemFactory(), ItemFactory()

    apply_upload(
        stocktake=count,
        data=csv("Barcode,Counted", f"{by_barcode.barcode},4"),
        mode="replace",
        actor=counter,
    )
    apply_upload(
        stocktake=count,
        data=csv("CODE,counted", f"{by_barcode.sku},1", f"{by_sku.barcode},2"),
        mode="add",
        actor=counter,
    )

    assert counts(count) == {by_barcode.sku: 5, by_sku.sku: 2}


def test_a_barcode_header_does_not_match_skus(count):
    item = ItemFactory()

    preview = preview_upload(
        stocktake=count, data=csv("barcode,counted", f"{item.sku},1"), mode="replace"
    )

    assert not preview.ok
    assert (
        preview.rows[0].error == f"No item has barcode “{item.sku}”: check it, or delete the line."
    )


def test_bom_semicolons_crlf_whitespace_and_extra_columns_parse(count, counter):
    first, second = ItemFactory(), ItemFactory()
    data = "\ufeff".encode() + csv(
        " SKU ; Name ; Counted ",
        "",
        f" {first.sku} ; First ; 3 ",
        f'"{second.sku}";"Second; with a semicolon";12',
        newline="\r\n",
    )

    preview = preview_upload(stocktake=count, data=data, mode="replace")

    assert preview.ok, (preview.errors, preview.rows)
    assert [(row.line_number, row.code, row.counted) for row in preview.rows] == [
        (3, first.sku, 3),
        (4, second.sku, 12),
    ]
    apply_upload(stocktake=count, data=data, mode="replace", actor=counter)
    assert counts(count) == {first.sku: 3, second.sku: 12}


def test_tab_delimited_parses(count):
    item = ItemFactory()

    preview = preview_upload(
        stocktake=count, data=csv("sku\tcounted", f"{item.sku}\t2"), mode="add"
    )

    assert preview.ok
    assert preview.rows[0].new_count == 2


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("NO-SUCH-SKU,1", "No item has SKU “NO-SUCH-SKU”: check it, or delete the line."),
        ("{sku},-1", "The count “-1” is not a whole number of zero or more."),
        ("{sku},2.5", "The count “2.5” is not a whole number of zero or more."),
        ("{sku},lots", "The count “lots” is not a whole number of zero or more."),
        ("{sku},", "No count: enter the number counted."),
        ("{sku}", "No count: enter the number counted."),
        (",4", "No SKU or barcode: fill it in, or delete the line."),
        ("{sku},99999999999", "The count 99999999999 is too large."),
        ("{sku},1\n{sku},2", "{label} is already counted on line 3: keep one of the two lines."),
        ("{other_sku},1", "{other_label} is not part of this count: remove the line."),
    ],
)
def test_bad_rows_are_shown_and_refused_with_nothing_written(location, counter, line, message):
    chosen, other, fine = ItemFactory(), ItemFactory(), ItemFactory()
    count = stocktakes.start_stocktake(location=location, actor=counter, items=[chosen, fine])
    stocktakes.count_item(stocktake=count, code=fine.sku, quantity=1, actor=counter)
    names = {
        "sku": chosen.sku,
        "other_sku": other.sku,
        "label": f"{chosen.sku} · {chosen.name}",  # items named by SKU and name
        "other_label": f"{other.sku} · {other.name}",
    }
    data = csv("sku,counted", f"{fine.sku},6", *line.format(**names).split("\n"))
    before = snapshot(count)

    preview = preview_upload(stocktake=count, data=data, mode="replace")
    with pytest.raises(StocktakeError) as error:
        apply_upload(stocktake=count, data=data, mode="replace", actor=counter)

    assert not preview.ok
    assert preview.errors == []
    assert [row.error for row in preview.rows if row.error] == [message.format(**names)]
    assert preview.rows[0].error is None
    assert error.value.code == "invalid_upload"
    assert message.format(**names) in str(error.value)
    assert snapshot(count) == before


def test_the_same_code_through_sku_and_barcode_is_a_duplicate(count):
    item = ItemFactory()

    preview = preview_upload(
        stocktake=count, data=csv("code,counted", f"{item.sku},1", f"{item.barcode},1"), mode="add"
    )

    assert [row.error for row in preview.rows] == [
        None,
        f"{item.sku} · {item.name} is already counted on line 2: keep one of the two lines.",
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty."),
        (b" \r\n\r\n", "The file is empty."),
        (b"sku,counted\r\n", "The file has a header but no rows of counts."),
        (b"SKU-1,4\n", "The first row must be a header"),
        (b"sku,barcode,counted\nA,1,2\n", "The first row must be a header"),
        (b"sku,quantity\nA,1\n", "The first row must be a header"),
        ("sku,counted\nCAFÉ,1\n".encode("latin-1"), "The file is not UTF-8 text."),
        ("sku,counted\nA,1\n".encode("utf-16"), "The file is not UTF-8 text."),
        (b"sku,counted\nA\x00,1\n", "The file is not a CSV text file."),
        (b"PK\x03\x04\x14\x00\x06\x00", "The file is not a CSV text file."),
        (b'sku,counted\n"A,1\n', "The file is not a readable CSV"),
    ],
)
def test_bad_files_are_refused(count, counter, data, message):
    preview = preview_upload(stocktake=count, data=data, mode="replace")
    with pytest.raises(StocktakeError) as error:
        apply_upload(stocktake=count, data=data, mode="replace", actor=counter)

    assert not preview.ok
    assert preview.rows == []
    assert len(preview.errors) == 1
    assert preview.errors[0].startswith(message)
    assert error.value.code == "invalid_upload"
    assert not count.uploads.exists()


def test_too_many_rows_are_refused(count):
    data = csv("sku,counted", *(f"SKU-{n},1" for n in range(MAX_ROWS + 1)))

    preview = preview_upload(stocktake=count, data=data, mode="replace")

    assert preview.errors == [f"At most {MAX_ROWS} rows per file, not {MAX_ROWS + 1}: split it."]


def test_the_same_file_twice_in_add_mode_is_refused(count, counter):
    item = ItemFactory()
    data = csv("sku,counted", f"{item.sku},5")
    apply_upload(stocktake=count, data=data, mode="add", actor=counter)
    before = snapshot(count)

    preview = preview_upload(stocktake=count, data=data, mode="add")
    with pytest.raises(StocktakeError) as error:
        apply_upload(stocktake=count, data=data, mode="add", actor=counter)

    assert preview.already_uploaded
    assert not preview.ok
    assert all(row.error is None for row in preview.rows)  # the rows are fine; the file is not
    assert error.value.code == "duplicate_upload"
    assert snapshot(count) == before
    assert counts(count) == {item.sku: 5}


def test_a_file_applied_in_replace_mode_is_not_added_on_top(count, counter):
    item = ItemFactory()
    data = csv("sku,counted", f"{item.sku},5")
    apply_upload(stocktake=count, data=data, mode="replace", actor=counter)

    with pytest.raises(StocktakeError) as error:
        apply_upload(stocktake=count, data=data, mode="add", actor=counter)

    assert error.value.code == "duplicate_upload"
    assert counts(count) == {item.sku: 5}


def test_the_same_file_twice_in_replace_mode_is_harmless(count, counter):
    item = ItemFactory()
    data = csv("sku,counted", f"{item.sku},5")
    apply_upload(stocktake=count, data=data, mode="add", actor=counter)

    preview = preview_upload(stocktake=count, data=data, mode="replace")
    for _ in range(2):
        apply_upload(stocktake=count, data=data, mode="replace", actor=counter)

    assert preview.already_uploaded
    assert preview.ok
    assert counts(count) == {item.sku: 5}
    assert count.uploads.count() == 3


def test_the_same_file_may_be_added_to_another_stocktake(location, count, counter):
    item = ItemFactory()
    data = csv("sku,counted", f"{item.sku},5")
    apply_upload(stocktake=count, data=data, mode="add", actor=counter)
    other = stocktakes.start_stocktake(location=LocationFactory(), actor=counter)

    apply_upload(stocktake=other, data=data, mode="add", actor=counter)

    assert counts(other) == {item.sku: 5}


def test_a_count_that_is_not_counting_refuses_uploads(count, counter):
    item = ItemFactory()
    data = csv("sku,counted", f"{item.sku},5")
    count = stocktakes.submit_stocktake(stocktake=count, actor=counter)

    preview = preview_upload(stocktake=count, data=data, mode="replace")
    with pytest.raises(StocktakeError) as error:
        apply_upload(stocktake=count, data=data, mode="replace", actor=counter)

    assert not preview.ok
    assert preview.errors == ["This count is submitted: counts can no longer change."]
    assert error.value.code == "wrong_status"
    assert not count.lines.exists()
    assert not count.uploads.exists()


def test_an_unknown_mode_is_a_programming_error(count, counter):
    with pytest.raises(ValueError, match="mode"):
        preview_upload(stocktake=count, data=b"sku,counted\n", mode="set")
    with pytest.raises(ValueError, match="mode"):
        apply_upload(stocktake=count, data=b"sku,counted\n", mode="set", actor=counter)


def test_an_uploaded_count_is_applied_by_the_count_time_rule(location, count, counter):
    item = ItemFactory()
    set_stock(item, location, 10)
    apply_upload(
        stocktake=count, data=csv("sku,counted", f"{item.sku},7"), mode="replace", actor=counter
    )
    stocktakes.submit_stocktake(stocktake=count, actor=counter)

    (line,) = selectors.review(count)

    assert (line.expected_at_count, line.counted, line.variance, line.will_set) == (10, 7, -3, 7)


def bulk_items(count):
    Item.objects.bulk_create(
        Item(sku=f"CSV-{n:05d}", product_id=800_000 + n, variant_id=800_000 + n, barcode=f"99{n}")
        for n in range(count)
    )
    return list(Item.objects.filter(sku__startswith="CSV-").order_by("sku"))


def upload_queries(stocktake, data, mode, actor) -> tuple[int, float]:
    with CaptureQueriesContext(connection) as context:
        started = time.perf_counter()
        apply_upload(stocktake=stocktake, data=data, mode=mode, actor=actor)
        elapsed = time.perf_counter() - started
    return len(context.captured_queries), elapsed


@pytest.mark.parametrize("mode", ["replace", "add"])
def test_a_2000_row_upload_costs_the_same_queries_as_10_rows(
    location, counter, mode, django_assert_max_num_queries
):
    items = bulk_items(2000)
    # Half the items already have a counted line: the upload both inserts and updates.
    half = stocktakes.start_stocktake(location=location, actor=counter, items=None)
    for item in items[::400]:
        set_stock(item, location, 3)
    StocktakeLine.objects.bulk_create(
        StocktakeLine(stocktake=half, item=item, counted_quantity=1) for item in items[::2]
    )
    small = stocktakes.start_stocktake(location=LocationFactory(), actor=counter)
    ten, _ = upload_queries(
        small, csv("sku,counted", *(f"{i.sku},2" for i in items[:10])), mode, counter
    )

    with django_assert_max_num_queries(ten):
        queries, elapsed = upload_queries(
            half, csv("sku,counted", *(f"{i.sku},2" for i in items)), mode, counter
        )

    print(f"2000-row {mode} upload: {queries} queries, {elapsed * 1000:.0f} ms")  # noqa: T201
    expected = {i.sku: 2 + (1 if mode == "add" and n % 2 == 0 else 0) for n, i in enumerate(items)}
    assert counts(half) == expected
    assert half.lines.get(item=items[400]).expected_quantity == 3
    assert half.lines.filter(expected_quantity=0).count() == 2000 - 5


def test_a_2000_row_preview_costs_two_queries(location, count, django_assert_num_queries):
    items = bulk_items(2000)
    data = csv("barcode,counted", *(f"{i.barcode},1" for i in items))

    with django_assert_num_queries(2):
        preview = preview_upload(stocktake=count, data=data, mode="add")

    assert preview.ok
    assert len(preview.rows) == 2000


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_same_file_added_twice_at_once_is_counted_once():
    location = LocationFactory()
    counter, item = UserFactory(), ItemFactory()
    count = stocktakes.start_stocktake(location=location, actor=counter)
    data = csv("sku,counted", f"{item.sku},5")

    results = run_together(
        [lambda: apply_upload(stocktake=count, data=data, mode="add", actor=counter)] * 2
    )

    refused = [r for r in results if isinstance(r, BaseException)]
    assert [getattr(r, "code", r) for r in refused] == ["duplicate_upload"]
    assert counts(count) == {item.sku: 5}
    assert count.uploads.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_scans_during_an_add_upload_are_not_lost():
    location = LocationFactory()
    counter, item = UserFactory(), ItemFactory()
    count = stocktakes.start_stocktake(location=location, actor=counter)
    data = csv("sku,counted", f"{item.sku},100")

    def scan_ten():
        for _ in range(10):
            stocktakes.count_item(stocktake=count, code=item.barcode, add=1, actor=counter)

    results = run_together(
        [scan_ten, lambda: apply_upload(stocktake=count, data=data, mode="add", actor=counter)]
    )

    assert not [r for r in results if isinstance(r, BaseException)], results
    assert counts(count) == {item.sku: 110}


def test_the_refusal_names_the_first_problems(count, counter):
    data = csv("sku,counted", *(f"NOPE-{n},1" for n in range(7)))

    with pytest.raises(StocktakeError) as error:
        apply_upload(stocktake=count, data=data, mode="replace", actor=counter)

    assert str(error.value) == (
        "The file was not applied."
        + "".join(
            f" Line {n + 2}: No item has SKU “NOPE-{n}”: check it, or delete the line."
            for n in range(5)
        )
        + " And 2 more."
    )


def test_a_preview_leaves_the_cycle_collector_as_it_found_it(count):
    import gc

    preview_upload(stocktake=count, data=csv("sku,counted", "NOPE,1"), mode="replace")
    assert gc.isenabled()
    gc.disable()
    try:
        preview_upload(stocktake=count, data=csv("sku,counted", "NOPE,1"), mode="replace")
        assert not gc.isenabled()
    finally:
        gc.enable()
