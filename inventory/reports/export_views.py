"""The balance list's CSV export, under /exports/. Thin: who may export what is decided here,
the rows and the streaming are `inventory.reports.exports`'.

The export holds what the balance list in the admin shows for the same query string: the list's
own filters and search (the location, the stock level, in stock, a SKU…) over the balances the
user may see. No location chosen exports every location the user may see, one after the other.
"""

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.utils.text import slugify

from inventory.models import Balance
from inventory.reports import exports
from locations.selectors import locations_visible_to

LOCATION_PARAMETER = "location"  # the balance list's location filter (VisibleLocationFilter)


def balances_csv(request: HttpRequest) -> HttpResponse:
    """Mounted behind `admin.site.admin_view` (staff login, as the admin pages); the admin's own
    permission check for the balance list applies. A location the user may not see is 404."""
    model_admin = admin.site.get_model_admin(Balance)
    if not model_admin.has_view_or_change_permission(request):
        raise PermissionDenied
    locations = locations_visible_to(request.user)
    filename_part = "all-locations"
    if chosen := request.GET.get(LOCATION_PARAMETER):  # empty means all, as in the list's filter
        try:
            location_id = int(chosen)
        except ValueError:
            return _bad_request("location: expected a location id.")
        location = locations.filter(pk=location_id).first()
        if location is None:
            raise Http404
        locations = locations.filter(pk=location.pk)
        filename_part = slugify(location.code) or str(location.pk)
    try:
        # The list's own query (visibility, filters, search), rather than a copy of its filters.
        balances = model_admin.get_changelist_instance(request).get_queryset(request)
    except IncorrectLookupParameters as error:
        return _bad_request(f"Unknown filter in the query string: {error}")
    return exports.balances_csv(balances, locations=locations, filename_part=filename_part)


def _bad_request(message: str) -> HttpResponse:
    return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
