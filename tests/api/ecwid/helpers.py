"""What the Ecwid tests share: Ecwid's paths, its error shape, a snapshot of stock."""

from inventory.models import Adjustment, AdjustmentLine, Balance

STORE_ID = 1003


def product_url(product_id, store_id=STORE_ID) -> str:
    return f"/api/ecwid/v3/{store_id}/products/{product_id}"


def inventory_url(product_id, store_id=STORE_ID) -> str:
    return f"{product_url(product_id, store_id)}/inventory"


def combination_url(product_id, variant_id, store_id=STORE_ID) -> str:
    return f"{product_url(product_id, store_id)}/combinations/{variant_id}/inventory"


def profile_url(store_id=STORE_ID) -> str:
    return f"/api/ecwid/v3/{store_id}/profile"


def assert_ecwid_error(response, status: int) -> dict:
    """An error in Ecwid's shape: the status and `{"errorMessage", "errorCode"}` as JSON."""
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"errorMessage", "errorCode"}
    assert body["errorMessage"]
    return body


def snapshot():
    """Every balance, adjustment and ledger line: equal before and after means nothing changed."""
    return (
        sorted(Balance.objects.values_list("item_id", "location_id", "quantity")),
        Adjustment.objects.count(),
        AdjustmentLine.objects.count(),
    )
