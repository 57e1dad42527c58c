"""A person with a token uses Swagger UI at /api/docs/: authorizes once with either header the
API takes (X-Auth-Token, or the same token as `Authorization: Bearer`), tries an operation and
sees it answered. The groups come in the document's order, BigCommerce's first."""

import pytest

from inventory.api_clients import issue_token
from inventory.models import ApiClient
from tests.browser.conftest import DESKTOP, PHONE
from tests.factories import ItemFactory, LocationFactory, set_stock

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def open_docs(browser, live_server, viewport):
    """Swagger UI, its operations drawn."""
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(f"{live_server.url}/api/docs/")
    page.wait_for_selector(".opblock")
    return page


@pytest.fixture
def docs(browser, live_server):
    page = open_docs(browser, live_server, DESKTOP)
    yield page
    page.context.close()


@pytest.fixture
def docs_on_a_phone(browser, live_server):
    page = open_docs(browser, live_server, PHONE)
    yield page
    page.context.close()


@pytest.fixture
def token(db):
    client = ApiClient(name="Shop sync", scopes=[scope.value for scope in ApiClient.Scope])
    token = issue_token(client)
    client.save()
    return token


def authorize(page, scheme: str, token: str) -> None:
    """Authorize: fill the one scheme's box, press its Authorize, close the dialog."""
    page.click(".auth-wrapper button.authorize")
    box = page.locator(".auth-container", has=page.locator(f"h4 code:text-is('{scheme}')"))
    box.locator("input").fill(token)
    box.locator("button.authorize").click()
    box.locator("h6:text-is('Authorized')").wait_for()
    box.locator("button.btn-done").click()


def try_out(page, method: str, path: str):
    """Open the operation, press "Try it out" and "Execute"; the response panel's first row."""
    operation = page.locator(
        f".opblock-{method}", has=page.locator(f".opblock-summary-path[data-path='{path}']")
    )
    operation.locator(".opblock-summary").click()
    operation.locator("button.try-out__btn").click()
    operation.locator("button.execute").click()
    return operation.locator(".live-responses-table .response")


@pytest.mark.parametrize("scheme", ["X-Auth-Token", "Bearer"])
def test_a_token_entered_once_is_sent_with_the_try(docs, token, scheme):
    shirt, location = ItemFactory(sku="SHIRT"), LocationFactory(label="Downtown")
    set_stock(shirt, location, 7)

    authorize(docs, scheme, token)
    response = try_out(docs, "get", "/api/v3/inventory/items")

    assert response.locator(".response-col_status").inner_text() == "200"
    body = response.locator(".response-col_description").inner_text()
    assert '"sku": "SHIRT"' in body
    assert '"total_inventory_onhand": 7' in body


def test_a_vendor_route_takes_the_bigcommerce_header_too(docs, token):
    authorize(docs, "X-Auth-Token", token)
    response = try_out(docs, "get", "/api/zettle/organizations/self/locations")

    assert response.locator(".response-col_status").inner_text() == "200"


def test_a_try_without_a_token_is_refused(docs, db):
    response = try_out(docs, "get", "/api/v3/inventory/items")

    assert response.locator(".response-col_status").inner_text() == "401"


def test_the_groups_come_in_the_documents_order(docs):
    names = docs.locator("h3.opblock-tag > a.nostyle > span").all_inner_texts()

    assert names == [
        "BigCommerce inventory",
        "BigCommerce locations",
        "Ecwid",
        "Zettle",
        "Stockroom",
    ]


@pytest.mark.parametrize(
    ("query", "shown"),
    [("", "openapi: 3.1.0"), ("?format=json", '{\n    "openapi": "3.1.0"')],
    ids=["yaml", "json"],
)
def test_the_document_shows_in_the_browser(docs, live_server, query, shown):
    response = docs.goto(f"{live_server.url}/api/schema/{query}")  # a download would raise

    assert response.status == 200
    assert docs.locator("body").inner_text().startswith(shown)


def test_on_a_phone_a_groups_description_reads_across_the_page(docs_on_a_phone):
    # Swagger UI's own layout squeezes it into a column a letter wide.
    page = docs_on_a_phone
    for description in page.locator("h3.opblock-tag small").all():
        assert description.bounding_box()["width"] > PHONE["width"] / 2
        assert description.bounding_box()["height"] < 100
