"""The words of the back office: refusals a person can act on, titles that say what a page is
for, one date format, menus and filters in plain words, and no link to a page its reader may
not open."""

import re

import pytest
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from inventory.models import Adjustment, ApiClient, Balance, Item
from inventory.stock import LineInput, apply_adjustment
from tests.admin.test_adjust import post_adjust
from tests.factories import ItemFactory, UserFactory, manager, set_stock, store_staff

pytestmark = pytest.mark.django_db

BALANCES = reverse("admin:inventory_balance_changelist")
HISTORY = reverse("admin:inventory_adjustmentline_changelist")
DATE_TIME = re.compile(r"\b\d{1,2} [A-Z][a-z]{2} \d{4}, \d{2}:\d{2}\b")


def logged_in(client, user):
    client.force_login(user)
    return client


def title_and_heading(response) -> tuple[str, str]:
    html = response.content.decode()
    title = re.search(r"<title>(.*?)</title>", html, re.S).group(1).strip()
    heading = re.search(r"<h1>(.*?)</h1>", html, re.S).group(1).strip()
    return title, heading


def test_adjust_form_refusals_name_the_item_and_location_and_count_rows_from_one(client, location):
    plenty, scarce = ItemFactory(name="Beanie"), ItemFactory(name="Tee black M")
    set_stock(plenty, location, 9)
    set_stock(scarce, location, 23)
    before = list(Balance.objects.order_by("pk").values_list("quantity", flat=True))

    response = post_adjust(
        logged_in(client, manager()),
        location=location,
        mode="add",
        rows=[
            (plenty.sku, -3, 9),
            ("", None, None),  # a row left blank is not sent, and still counts on the page
            (scarce.sku, -500, 23),
            (plenty.barcode, -1, 9),
        ],
    )

    forms = response.context["lines"].forms
    assert forms[2].errors["quantity"] == [
        f"{scarce.sku} · Tee black M at {location.label}: only 23 on hand, so 500 cannot be"
        " removed. Remove at most 23, or count the shelf and set the number you find."
    ]
    assert forms[3].errors["code"] == [f"{plenty.sku} · Beanie is on row 1 too: put it on one row."]
    html = response.content.decode()
    assert "item_id" not in html
    assert "line 0" not in html
    assert f"location {location.pk}" not in html
    assert list(Balance.objects.order_by("pk").values_list("quantity", flat=True)) == before


def test_a_database_rule_reads_as_a_sentence_with_a_fix(rf: RequestFactory):
    request = rf.get("/")
    request.user = UserFactory(is_superuser=True)
    form_class = admin.site.get_model_admin(Item).get_form(request)

    form = form_class(
        data={"sku": "NEW-1", "name": "New", "product_id": 7, "tracking": "variant"},
    )

    assert not form.is_valid()
    assert form.errors["variant_id"] == [
        "An item tracked as a variant needs its BigCommerce variant id: enter it, or keep the"
        " item's stock as a whole."
    ]
    assert not Item.objects.filter(sku="NEW-1").exists()


def test_titles_say_what_each_page_is_for(client, location):
    item = ItemFactory(sku="BEANIE", name="Beanie")
    adjustment = set_stock(item, location, 4)
    balance = Balance.objects.get(item=item, location=location)
    boss = logged_in(client, manager())

    pages = {
        BALANCES: "Stock levels",
        f"{BALANCES}?location={location.pk}": f"Stock at {location.label}",
        HISTORY: "Stock history",
        reverse("admin:inventory_balance_change", args=[balance.pk]): (
            f"BEANIE · Beanie at {location.label}"
        ),
        reverse("admin:inventory_adjustment_change", args=[adjustment.pk]): (
            f"Adjustment {adjustment.short_id}"
        ),
        reverse("admin:inventory_item_add"): "Add item",
    }
    for url, expected in pages.items():
        title, heading = title_and_heading(boss.get(url))
        assert (title, heading) == (f"{expected} | Stockroom", expected), url


def test_a_clerk_of_one_store_sees_its_stock_by_name(client, location):
    title, heading = title_and_heading(logged_in(client, store_staff(location)).get(BALANCES))

    assert title == f"Stock at {location.label} | Stockroom"

    assert heading == f"Stock at {location.label}"


def test_one_date_format_on_lists_and_pages(client, location, item):
    adjustment = set_stock(item, location, 4)
    shown = date_format(timezone.localtime(adjustment.created_at), "DATETIME_FORMAT")
    boss = logged_in(client, manager())

    for url in (HISTORY, reverse("admin:inventory_adjustment_change", args=[adjustment.pk])):
        html = boss.get(url).content.decode()
        assert shown in html, url
        assert DATE_TIME.fullmatch(shown)
        assert not re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}|[ap]\.m\.", html), url


def made_by_user_and_client(location, item, actor):
    person = apply_adjustment(
        kind=Adjustment.Kind.ABSOLUTE,
        lines=[LineInput(location_id=location.pk, item_id=item.pk, quantity=3)],
        reason="count",
        source=Adjustment.Source.ADMIN,
        actor=actor,
    )
    partner = ApiClient.objects.create(name="Till", token_prefix="p1", token_hash="x")
    program = apply_adjustment(
        kind=Adjustment.Kind.RELATIVE,
        lines=[LineInput(location_id=location.pk, item_id=item.pk, quantity=-1)],
        reason="sale",
        source=Adjustment.Source.API,
        api_client=partner,
    )
    return person, program, partner


def test_who_made_a_change_links_only_for_a_reader_who_may_open_their_page(client, location, item):
    clerk = store_staff(location, username="clerk")
    person, program, partner = made_by_user_and_client(location, item, clerk)
    user_page = reverse("admin:auth_user_change", args=[clerk.pk])
    client_page = reverse("admin:inventory_apiclient_change", args=[partner.pk])

    def page(user, adjustment):
        return logged_in(client, user).get(
            reverse("admin:inventory_adjustment_change", args=[adjustment.pk])
        )

    boss = manager()  # no right to the user admin
    assert "clerk" in page(boss, person).content.decode()
    assert user_page not in page(boss, person).content.decode()
    assert client.get(user_page).status_code == 403  # the page the link led to
    assert client_page in page(boss, program).content.decode()  # managers see API clients
    assert client_page not in page(clerk, program).content.decode()
    assert "API: Till" in page(clerk, program).content.decode()
    assert user_page in page(UserFactory(is_superuser=True), person).content.decode()


def test_menu_and_filters_in_plain_words(client, location, item):
    made_by_user_and_client(location, item, manager())
    boss = logged_in(client, manager())

    index = boss.get(reverse("admin:index")).content.decode()
    assert ">Stock history<" in index
    assert ">Stock levels<" in index
    assert ">Adjustments<" not in index  # opened from the history, not a second menu entry
    assert ">Sign-in attempts<" in index
    assert "Axes" not in index
    assert "View site" not in index

    changes = boss.get(reverse("admin:inventory_adjustment_changelist")).content.decode()
    headings = [h.strip() for h in re.findall(r"<summary>(.*?)</summary>", changes, re.S)]
    assert {"Type of change", "Made through", "Person", "API client"} <= set(headings)
    assert not [h for h in headings if h.startswith("By ")]
    assert ">-</a>" not in changes  # the "nobody" choice is named
    assert ">Not through the API</a>" in changes
    history = boss.get(HISTORY).content.decode()
    assert not re.search(r"<label[^>]*>By ", history)


def test_people_and_access_for_those_who_manage_people(client):
    index = logged_in(client, UserFactory(is_superuser=True)).get(reverse("admin:index"))

    assert "People and access" in index.content.decode()
    assert "Authentication and Authorization" not in index.content.decode()


def test_settings_of_stock_at_a_location_switched_off_are_refused_on_the_form(
    client, location, item
):
    set_stock(item, location, 5)
    location.enabled = False
    location.save()
    balance = Balance.objects.get(item=item, location=location)
    adjustments = Adjustment.objects.count()

    response = logged_in(client, manager()).post(
        reverse("admin:inventory_balance_change", args=[balance.pk]),
        {"safety_stock": 3, "warning_level": 1, "is_in_stock": "on", "bin_picking_number": ""},
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.non_field_errors() == [
        f"{location.label} is switched off: turn it on under Locations before changing stock"
        " settings there."
    ]
    balance.refresh_from_db()
    assert balance.safety_stock == 0
    assert Adjustment.objects.count() == adjustments
