"""Scale (not run by default: `--section scale`): the pages people and partners read most, timed
through the running server with 1,000 items at 10 locations (10,000 balances) and again with
1,000,000 items at the same 10 locations (10,000,000 balances and as many ledger lines). Each
figure is the time at the large scale over the time at the small one: a page must cost the same
whatever the size of the catalogue. Stocktakes are measured the same way, on a store of 1,000
items and one of 100,000 (`scale_stocktake`).

The fill (`scale_fill`) is set-based and dates its ledger over the year before, as a ledger
grows."""

import statistics
import time
from urllib.parse import urlencode

from django.urls import reverse

from inventory.management.benchmark import scale_stocktake
from inventory.management.benchmark.context import Context
from inventory.management.benchmark.pages import KeptAliveClient, Page, page_medians
from inventory.management.benchmark.report import Row
from inventory.management.benchmark.scale_fill import SKU_PREFIX, fill
from inventory.management.benchmark.scratch import checkpoint
from inventory.models import Balance, Item
from inventory.reports.balance_search import search_balances
from locations.models import Location

SCALES = (1_000, 1_000_000)  # items, each at every location
QUICK_SCALES = (1_000, 20_000)
LOCATIONS = 10
SAMPLES_PER_REPEAT = 2
API_ITEMS = "/api/v3/inventory/items"
ADMIN_BALANCES = "/admin/inventory/balance/"
DEEP_PAGE, DEEP_PAGE_LIMIT = 1_000, 10
SEARCHED_SKU = f"{SKU_PREFIX}{500:07d}"  # one of the small scale's items
# The substring searches, by page name: what each searches for.
SEARCHES = {
    "admin stock levels, a SKU search": SEARCHED_SKU,
    "admin stock levels, one item's name": '"item 500 red"',
}


def run(context: Context) -> list[Row]:
    small, large = QUICK_SCALES if context.quick else SCALES
    locations = _locations()
    fill(small, locations)
    pages = _pages(context, locations, small)
    client = KeptAliveClient(context.base_url)
    repeat = context.repeat * SAMPLES_PER_REPEAT
    at_small = _measure(client, pages, repeat)
    lookups_small = _lookups_ms(repeat)
    small_count, large_count = scale_stocktake.sizes(context)
    counted_small = scale_stocktake.measure(context, client, small_count)
    started = time.perf_counter()
    fill(large, locations)
    fill_seconds = time.perf_counter() - started
    checkpoint()  # the fill's dirty buffers written now, not during the measurements
    pages = _pages(context, locations, large)
    at_large = _measure(client, pages, repeat)
    lookups_large = _lookups_ms(repeat)
    counted_large = scale_stocktake.measure(context, client, large_count)
    balances = Balance.objects.filter(location__in=locations).count()
    rows = [
        Row(
            "scale",
            f"{page.name}, {balances:,} balances",
            at_large[page.name],
            "ms",
            floor=at_small[page.name],
            floor_measure=f"same page at {small * LOCATIONS:,} balances",
            target="<= 1.5",
            note=page.note,
        )
        for page in pages
    ]
    rows += _lookup_rows(at_small, at_large, lookups_small, lookups_large)
    rows += scale_stocktake.rows(counted_small, counted_large)
    rows.append(
        Row(
            "scale",
            f"fill to {balances:,} balances and their ledger lines",
            fill_seconds,
            "s",
            note="set-based: generate_series, indexes built after",
        )
    )
    return rows


def _locations() -> list[Location]:
    return Location.objects.bulk_create(
        Location(code=f"SCALE-{n}", label=f"Scale store {n}") for n in range(1, LOCATIONS + 1)
    )


def _pages(context: Context, locations: list[Location], items: int) -> list[Page]:
    admin = {"Cookie": context.admin_cookie}
    api = {"X-Auth-Token": context.token, "Accept": "application/json"}
    location = locations[3]
    item = Item.objects.get(sku=SEARCHED_SKU)
    balance = Balance.objects.get(item=item, location=location)
    fifty = ",".join(f"{SKU_PREFIX}{n:07d}" for n in range(100, 1000, 18))

    def balances(name: str, query: dict, note: str) -> Page:
        return Page(name, f"{ADMIN_BALANCES}?{urlencode(query)}", admin, note=note)

    return [
        Page("admin stock levels, first page", ADMIN_BALANCES, admin, note="every location"),
        balances("admin stock levels, one location", {"location": location.pk}, location.label),
        balances("admin stock levels, low", {"stock": "below_warning"}, "below warning level"),
        balances("admin stock levels, out of stock", {"stock": "out"}, "on hand 0"),
        balances("admin stock levels, a SKU search", {"q": SEARCHED_SKU}, SEARCHED_SKU),
        # Searches that list the same rows at both sizes: words of one item's name (unquoted,
        # "500" is part of 1,500 and 5,000 too, so the large catalogue would fill a page where
        # the small one lists ten rows), and words many names share (a full page at both).
        balances(
            "admin stock levels, one item's name",
            {"q": SEARCHES["admin stock levels, one item's name"]},
            "its words, quoted",
        ),
        balances("admin stock levels, words many names share", {"q": "item red"}, "a full page"),
        Page(
            "admin item page",
            reverse("admin:inventory_item_change", args=[item.pk]),
            admin,
            note=f"{item.sku}, its {len(locations)} balances",
        ),
        Page(
            "admin balance page, with its chart",
            reverse("admin:inventory_balance_change", args=[balance.pk]),
            admin,
            note=f"{item.sku} at {location.label}",
        ),
        Page(
            "admin location dashboard",
            reverse("admin:inventory_dashboard_location", args=[location.pk]),
            admin,
            note=location.label,
        ),
        Page("API items, first page", API_ITEMS, api, note="page 1, limit 50"),
        _deep_page(api, items),
        Page("API items, sku:in of 50", f"{API_ITEMS}?sku:in={fifty}", api, note="50 SKUs"),
        Page(
            "API one location's items",
            f"/api/v3/inventory/locations/{location.pk}/items",
            api,
            note=f"{location.label}, page 1",
        ),
    ]


def _lookups_ms(repeat: int) -> dict[str, float]:
    """Each substring search's own statement (`search_balances` looks the items up once, then
    reads their balances by id), timed alone in this process: a search of the catalogue
    through its trigram indexes, with no page around it."""
    medians = {}
    for page, term in SEARCHES.items():
        times = []
        for _ in range(repeat + 1):
            started = time.perf_counter()
            search_balances(Balance.objects.all(), term)
            times.append((time.perf_counter() - started) * 1000)
        medians[page] = statistics.median(times[1:])
    return medians


def _lookup_rows(
    at_small: dict[str, float],
    at_large: dict[str, float],
    small: dict[str, float],
    large: dict[str, float],
) -> list[Row]:
    """Where each substring search's time goes: its item lookup, and the rest of the page."""
    rows = []
    for page in SEARCHES:
        rows.append(
            Row(
                "scale",
                f"{page}: its item lookup alone (reference)",
                large[page],
                "ms",
                floor=small[page],
                floor_measure="same at 1,000 items",
                note="part of a SKU or name, through their trigram indexes: the lists of the "
                "trigrams every item shares are read whole",
            )
        )
        rows.append(
            Row(
                "scale",
                f"{page}: the page less its item lookup (reference)",
                at_large[page] - large[page],
                "ms",
                floor=at_small[page] - small[page],
                floor_measure="same at 10,000 balances",
                note="everything the page does besides the lookup",
            )
        )
    return rows


def _deep_page(api: dict, items: int) -> Page:
    """Page 1,000 of 10 items, read by offset (no earlier page asked for). A catalogue of 1,000
    items has no such page: there the floor is its last full page, 100, the deepest a page of
    10 goes at that size."""
    page = min(DEEP_PAGE, items // DEEP_PAGE_LIMIT)
    return Page(
        f"API items, page {DEEP_PAGE:,}",
        f"{API_ITEMS}?page={page}&limit={DEEP_PAGE_LIMIT}",
        api,
        note=f"page {page:,} of {DEEP_PAGE_LIMIT} (BigCommerce's page/limit)",
    )


def _measure(client: KeptAliveClient, pages: list[Page], repeat: int) -> dict[str, float]:
    for page in pages:
        client.get(page.path, page.headers)  # each answers 200 before it is timed
    return page_medians(client, pages, repeat=repeat)
