"""The item a typed or scanned code names, with its on-hand at a location, as JSON: the adjust
and move pages show it as soon as a code is entered, and keep the on-hand as the row's
expected quantity. The same few queries whatever is asked."""

from django.http import HttpRequest, JsonResponse

from inventory.admin.adjust_forms import item_label, items_by_code
from inventory.stock.selectors import balances_at
from inventory.stocktakes.blind_counts import blind_counts_hiding_items
from locations.selectors import locations_visible_to


def lookup_item(request: HttpRequest) -> JsonResponse:
    """`?code=SKU-or-barcode&location=ID`: `{sku, name, on_hand, location, message}`; on_hand
    is null (and `message` says why) without a location or while a blind count hides it."""
    if not request.user.has_perm("inventory.adjust_stock"):
        return _answer(403, "You may not change stock. Ask a manager for access.")
    code = request.GET.get("code", "").strip()
    location_id = request.GET.get("location", "")
    if not code:
        return _answer(400, "Enter a SKU or barcode.")
    if location_id and not location_id.isdigit():
        return _answer(400, "Choose a location.")
    location = None
    if location_id:
        location = locations_visible_to(request.user).filter(pk=int(location_id)).first()
        if location is None:
            return _answer(403, "That location is not one of yours: choose another.")
    item = items_by_code([code]).get(code)
    if item is None:
        return _answer(404, f"No item has SKU or barcode “{code}”. Check the code.")
    found = {"sku": item.sku, "name": item.name, "on_hand": None, "location": "", "message": ""}
    if location is None:
        return JsonResponse(found | {"message": "Choose a location to see its on-hand."})
    found["location"] = location.label
    hidden = blind_counts_hiding_items(request.user, location_id=location.pk, item_ids=[item.pk])
    if item.pk in hidden:
        found["message"] = (
            f"{item_label(item)} is being counted in stocktake #{hidden[item.pk].pk} at "
            f"{location.label}: change it once that count is applied or cancelled."
        )
        return JsonResponse(found)
    balance = balances_at(item_ids=[item.pk], location_ids=[location.pk]).get(
        (item.pk, location.pk)
    )
    found["on_hand"] = balance.quantity if balance is not None else 0
    return JsonResponse(found)


def _answer(status: int, message: str) -> JsonResponse:
    return JsonResponse({"message": message}, status=status)
