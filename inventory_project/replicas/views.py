"""The reads a replica may serve, by URL name: in one place, so what may read slightly older
data (never older than the reader's own last write) is reviewed here and nowhere else.

Only GET and HEAD of these. Pages that show a form (an item's or a balance's page) are not
here: the admin reads them inside a transaction on the primary anyway."""

from django.urls import ResolverMatch

# BigCommerce's routes answer under /api/v3 and again under /stores/<hash>/v3 (namespace
# "store"): the same view, the same decision.
API_NAMESPACES = ("", "store")

API_READS = frozenset(
    {
        # Stock and settings lists.
        "api-inventory-item-list",
        "api-location-item-list",
        "api-location-list",
        "api-locations-metafield-list",
        "api-location-metafield-list",
        "api-items",
        # The history API.
        "api-adjustment-list",
        "api-adjustment-detail",
        # Movements' lists.
        "api-transfer-order-list",
        "api-receipt-list",
    }
)

PAGE_READS = frozenset(
    {
        # The stock history: every ledger line, every transaction, and its CSV export.
        "admin:inventory_adjustmentline_changelist",
        "admin:inventory_adjustmentline_export",
        "admin:inventory_adjustment_changelist",
        # Dashboards and their charts.
        "admin:inventory_dashboard",
        "admin:inventory_dashboard_location",
        # Exports.
        "exports:balances",
    }
)

READ_METHODS = frozenset({"GET", "HEAD"})


def may_read_replica(method: str, match: ResolverMatch | None) -> bool:
    if method not in READ_METHODS or match is None:
        return False
    if match.view_name in PAGE_READS:
        return True
    namespace = ":".join(match.namespaces)
    return namespace in API_NAMESPACES and match.url_name in API_READS
