"""What a browser can send that used to end in a 500: a NUL in a form field or the query string
(PostgreSQL cannot store or compare text containing it), a count of 4301+ digits in a stocktake
CSV (Python's int() refuses it), an item id int() cannot read. Each is now a form error or a
plain page saying what is wrong, and nothing changes. The stocktake upload's body limit fits
the largest file its form takes."""

from contextlib import contextmanager

import pytest
from django.db import connection

from inventory.models import Adjustment, Balance, StocktakeLine
from inventory.stocktakes import services as stocktakes
from inventory.stocktakes.forms import MAX_UPLOAD_BYTES
from tests.admin.test_adjust import post_adjust
from tests.factories import ItemFactory, manager, set_stock, store_staff
from tests.stocktakes.test_views import confirm_upload, upload_file, url

NUL = "\x00"


class StatementsWithNul:
    """Counts the statements sent to the database with a NUL in their text or parameters:
    PostgreSQL refuses every one of them (a 500), SQLite runs them, so count them anywhere."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        rows = params if many else [params]
        values = [sql, *(value for row in rows or [] for value in (row or []))]
        self.count += any(isinstance(value, str) and NUL in value for value in values)
        return execute(sql, params, many, context)


@contextmanager
def statements_with_nul():
    spy = StatementsWithNul()
    with connection.execute_wrapper(spy):
        yield spy


def snapshot() -> tuple:
    return (
        sorted(Balance.objects.values_list("item_id", "location_id", "quantity")),
        Adjustment.objects.count(),
        sorted(StocktakeLine.objects.values_list("item_id", "counted_quantity")),
    )


@pytest.fixture
def manager_client(client, db):
    client.force_login(manager())
    return client


@pytest.fixture
def counter(client, location):
    user = store_staff(location)
    client.force_login(user)
    client.user = user
    return client


# --- the adjust form ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("row", "reason", "field"),
    [((f"A{NUL}", 5, 1), "Count", "code"), (("A", 5, 1), f"Count{NUL}", "reason")],
)
def test_a_nul_in_the_adjust_form_is_a_form_error(manager_client, location, row, reason, field):
    set_stock(ItemFactory(sku="A"), location, 1)
    before = snapshot()

    with statements_with_nul() as spy:
        response = post_adjust(manager_client, location=location, rows=[row], reason=reason)

    assert response.status_code == 200
    form = response.context["form"] if field == "reason" else response.context["lines"].forms[0]
    assert form.errors[field] == ["Null characters are not allowed."]
    assert spy.count == 0
    assert snapshot() == before


# --- the stocktake CSV upload -------------------------------------------------------------------


@pytest.mark.parametrize("digits", [4301, 5000, 20])
def test_a_count_too_long_for_a_number_is_a_row_error(counter, location, digits):
    item = ItemFactory()
    count = stocktakes.start_stocktake(location=location, actor=counter.user)
    before = snapshot()

    preview = upload_file(counter, count, f"sku,counted\n{item.sku},{'9' * digits}\n".encode())
    forced = confirm_upload(counter, preview)

    assert preview.status_code == 200
    [row] = preview.context["rows"]
    assert row["error"].startswith("The count 9999999999")
    assert row["error"].endswith("is too large.")
    assert 'name="confirm"' not in preview.content.decode()
    assert forced.status_code == 200
    assert snapshot() == before


def test_the_largest_file_the_form_takes_passes_the_body_limit_and_so_does_its_confirm(
    counter, location
):
    item = ItemFactory()
    count = stocktakes.start_stocktake(location=location, actor=counter.user)
    content = f"sku,counted\n{item.sku},3\n".encode()
    content += b"#" * (MAX_UPLOAD_BYTES - len(content))  # a comment row pads it to the limit

    preview = upload_file(counter, count, content)
    too_large = upload_file(counter, count, content + b"#")
    confirm = confirm_upload(counter, preview)  # names the file kept, does not send it

    assert preview.status_code == 200
    assert "preview" in preview.context  # read and checked, not refused at the door
    assert too_large.status_code == 200
    assert "The file is too large (at most 4 MB)." in too_large.content.decode()
    assert confirm.status_code == 200  # the row `#…` has no count: shown, nothing applied
    assert snapshot()[2] == []


# --- query strings ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "named"),
    [
        ("/admin/inventory/item/?sku=%00", "“sku”"),
        ("/admin/inventory/item/?tracking=A%00&q=x", "“tracking”"),
        ("/admin/inventory/balance/?location=%00", "“location”"),
        ("/admin/inventory/adjustmentline/?q=%00", "“q”"),
        ("/stocktakes/?a%00b=1", "“a%00b”"),
    ],
)
def test_a_nul_in_a_pages_query_string_is_a_plain_400_naming_it(manager_client, path, named):
    with statements_with_nul() as spy:
        response = manager_client.get(path)

    assert response.status_code == 400
    page = response.content.decode()
    assert "NUL character (%00) in " + named in page
    assert spy.count == 0


@pytest.mark.parametrize("last", ["²", "9" * 5000, "9" * 30])
def test_an_item_id_int_cannot_read_shows_the_count_page(counter, location, last):
    count = stocktakes.start_stocktake(location=location, actor=counter.user)

    response = counter.get(url("count", count), {"last": last})

    assert response.status_code == 200
