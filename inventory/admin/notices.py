"""Telling a counter why some stock is missing from a page: the open blind counts that hide it."""

from django.contrib import messages
from django.http import HttpRequest

from inventory.stocktakes.blind_counts import blind_counts_hiding_stock
from locations.selectors import locations_visible_to


def say_what_blind_counts_hide(request: HttpRequest) -> None:
    """One note per open blind count at the user's locations, on the page being shown."""
    hiding = blind_counts_hiding_stock(request.user).filter(
        location__in=locations_visible_to(request.user)
    )
    for stocktake in hiding.order_by("pk"):
        messages.info(request, stocktake.hidden_stock_notice)


class HiddenStockNoticeMixin:
    """For the admin lists that show on-hand (balances, history, alerts)."""

    def changelist_view(self, request, extra_context=None):
        if request.method == "GET":  # an action's POST redirects to a GET that says it
            say_what_blind_counts_hide(request)
        return super().changelist_view(request, extra_context)
