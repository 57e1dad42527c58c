"""The back office's home page, /admin/: each person's work first (inventory.reports.home),
and the admin's index of every record below it, under "All records". Served in place of the
admin's own index (inventory_project/urls.py), through the admin's login like every page."""

import uuid

from django.contrib import admin
from django.http import HttpRequest, HttpResponse

from inventory.admin import stock_links
from inventory.reports.home import arriving, is_manager, manager_home, on_the_way, staff_home

# The admin's index renders the page, with its list of every model ("All records") in context.
admin.site.index_template = "admin/home.html"


def home_page(request: HttpRequest) -> HttpResponse:
    user = request.user
    adjusts = user.has_perm(stock_links.PERMISSION)
    context = {
        "title": "Home",
        "adjust_url": stock_links.adjust_url() if adjusts else "",
        "move_url": stock_links.move_url() if adjusts else "",
    }
    if is_manager(user):
        context["manager"] = manager_home(user)
        context["on_the_way"] = on_the_way(user)
    else:
        staff = staff_home(user)
        context |= {
            "staff": staff,
            # One token per "Start a count" form: the stocktake pages' guard against a form
            # posted twice (a second start of the same form opens the first count).
            "staff_locations": [(work, uuid.uuid4()) for work in staff.locations],
            "can_start_counts": user.has_perm("inventory.add_stocktake"),
            "arriving": arriving(user),
            "can_receive": user.has_perm("inventory.receive_transferorder"),
        }
    return admin.site.index(request, extra_context=context)
