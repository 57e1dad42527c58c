"""The stocktake pages under /stocktakes/: start, count, upload, review, approve, apply.

Thin on purpose: each view checks who may see the stocktake (another location's is 404, also
for POSTs), validates a form, calls `inventory.stocktakes.services` and maps StocktakeError to
a form or page error. What a page may show is decided here, never in the template: a blind
count's expected quantities are not put in any context or JSON a counter can reach."""

from inventory.stocktakes.views.counting import cancel, count, scan, stocktake_list, submit
from inventory.stocktakes.views.offline import offline, service_worker
from inventory.stocktakes.views.recount import apply_rest, send_back
from inventory.stocktakes.views.review import apply, approve, late, review, sheet
from inventory.stocktakes.views.scans import scans
from inventory.stocktakes.views.upload import upload

__all__ = [
    "apply",
    "apply_rest",
    "approve",
    "cancel",
    "count",
    "late",
    "offline",
    "review",
    "scan",
    "scans",
    "send_back",
    "service_worker",
    "sheet",
    "stocktake_list",
    "submit",
    "upload",
]
