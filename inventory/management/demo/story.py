"""The demo's story in numbers: its stores' settings, the days things happen on, what sells and
what is topped up. `history` writes it out."""

from inventory.management.demo.calendar import HISTORY_DAYS

SEED = 2024

WARNING_LEVELS = {"DT": 5, "AP": 2}
TEE_SAFETY_STOCK = 2  # downtown keeps two of each T-shirt for display
RAISED_WARNING_LEVEL = 10
# Top-ups on days 5, 12, ...: the last is six days before the end, so stock runs low again.
REPLENISHMENT_DAY_OF_WEEK = 5
SETTINGS_CHANGE_DAY = HISTORY_DAYS - 21  # a replenishment day: the T-shirts were just topped up
STOCKTAKE_DAY = HISTORY_DAYS - 10
COUNTED_ITEMS = 12
SHRINKAGE = -6  # the fullest shelf's variance: beyond the default threshold of 5
STOCKTAKE_VARIANCES = (0, 0, 1, 0, -1, 0, -2, 2, 0, -3, 0)  # the other shelves', in SKU order
# Best sellers are drawn into baskets 4 times as often as the rest, T-shirts in M and L 12 times.
BEST_SELLERS = ("TEE-", "SOCK-", "MUG", "CAP", "BOTTLE", "TOTE", "BEANIE")
# What the airport kiosk carries: travel-sized things.
KIOSK_PREFIXES = ("TEE-", "SOCK-", "BOTTLE", "CAP", "UMBR", "SUNGL", "BEANIE")
# Weekly top-ups from the warehouse: to the warning level plus this.
TOP_UPS = (
    ("DT", "Weekly replenishment"),
    ("AP", "Kiosk top-up"),
    ("DEFAULT", "Online stock top-up"),
)
TOP_UP_HEADROOM = {"DT": 6, "AP": 4, "DEFAULT": 5}
OPENING_STOCK = {"WH": (20, 80), "DT": (1, 25), "AP": (1, 10), "DEFAULT": (1, 15)}


def popularity(sku: str) -> int:
    if sku.startswith("TEE-") and sku.endswith(("-M", "-L")):
        return 12
    return 4 if sku.startswith(BEST_SELLERS) else 1


# Stock on its way when the history ends (`demo/movements.py`), by trading day counted back from
# the last: so that a new user sees in-transit and incoming quantities at once. Lines are
# (SKU, quantity); a transfer ships no more than the warehouse holds.
LAST_DAY = HISTORY_DAYS - 1
KIOSK_RESTOCK = {  # shipped and received in full: the kiosk's travel goods
    "shipped": LAST_DAY - 9,
    "received": LAST_DAY - 8,
    "lines": (("SOCK-BLA-M", 6), ("UMBR", 4), ("SUNGL", 3)),
    "reference": "WB-20388",
    "note": "Travel season restock",
}
STORE_RESTOCK = {  # received in part downtown: a T-shirt damaged, the hoodies still on the van
    "shipped": LAST_DAY - 4,
    "received": LAST_DAY - 3,
    "lines": (("TEE-BLA-M", 10), ("TEE-NAV-M", 8), ("HOOD-GRE-L", 4)),
    "arrived": {"TEE-BLA-M": (10, 0), "TEE-NAV-M": (5, 1)},  # SKU: (received, damaged)
    "reference": "WB-20417",
}
IN_TRANSIT = {  # shipped two days before the last, still on its way downtown
    "shipped": LAST_DAY - 2,
    "lines": (("JKT-NAV-M", 3), ("JKT-BLA-L", 3), ("CHINO-OLI-M", 4), ("SWT-GRE-S", 2)),
    "reference": "WB-20433",
    "note": "Rain jackets for the weekend forecast",
}
KIOSK_DRAFT = {  # drafted on the last day, not shipped yet
    "created": LAST_DAY,
    "lines": (("BOTTLE", 5), ("CAP", 4), ("BEANIE", 3)),
}
PARTLY_DELIVERED = {  # a supplier delivery into the warehouse, short by part of a size
    "supplier": "Acme Textiles",
    "reference": "PO-2284",
    "created": LAST_DAY - 12,
    "expected": LAST_DAY - 3,
    "lines": (("TEE-WHI-S", 24), ("TEE-WHI-M", 36), ("TEE-WHI-L", 36)),
    "arrived": {"TEE-WHI-S": (24, 0), "TEE-WHI-M": (20, 1)},  # SKU: (received, damaged)
}
EXPECTED_DELIVERY = {  # expected downtown a few days after the history ends
    "supplier": "Pacific Headwear Co.",
    "reference": "PO-2291",
    "created": LAST_DAY - 5,
    "expected_in_days": 3,  # after the real day of seeding
    "lines": (("CAP", 12), ("BEANIE", 10)),
}
