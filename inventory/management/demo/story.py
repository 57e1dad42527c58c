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
