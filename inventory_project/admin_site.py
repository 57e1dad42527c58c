"""The back office's admin site: what every admin page calls things, in one place.

Django's admin titles a list "Select balance to change" and a page "Change balance", and
names apps and models as their code does. Here every registered model admin gets plain titles
(`PlainWords`, added at registration, so no admin module has to remember it), the menu uses
the names people know, and "View site" is gone (the back office is the site).

Kept apart from `inventory.admin`: Django builds this site while that package registers its
admins into it, so this module imports no app code."""

from django.contrib import admin
from django.contrib.admin import AdminSite, ModelAdmin
from django.db.models import Model
from django.db.models.options import Options
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.text import capfirst

# Names in the menu and in list titles for models whose own verbose names we cannot change
# (other apps'), by "app_label.model_name". Our models say theirs in Meta.
MENU_NAMES = {
    "axes.accessattempt": "Sign-in attempts",
    "axes.accesslog": "Sign-in log",
    "axes.accessfailurelog": "Failed sign-ins",
}
# Pages reached from another page, not from the menu: an adjustment is opened from the stock
# history line that shows it, so the menu has one entry for the history, not two.
NOT_IN_MENU = {"inventory.adjustment"}


def menu_name(opts: Options) -> str:
    return MENU_NAMES.get(opts.label_lower) or capfirst(opts.verbose_name_plural)


class PlainWords:
    """A model admin's titles in plain words: a list is titled by what it lists ("Stock
    levels", or the admin's own `list_title(request)`, e.g. "Stock at Downtown store"), an
    object's page by the object ("TEE-BLA-M · Tee black M at Downtown store"), an add page
    as its button and breadcrumb say ("Add item").

    The object shown on a change page knows its `reader` (the user), so display methods can
    link only to pages the reader may open (`link_for_reader`)."""

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None):
        list_title = getattr(self, "list_title", None)
        title = list_title(request) if list_title else menu_name(self.opts)
        return super().changelist_view(request, {"title": title, **(extra_context or {})})

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context["title"] = f"Add {self.opts.verbose_name}" if add or obj is None else str(obj)
        context["subtitle"] = None  # the title names the object already
        return super().render_change_form(request, context, add, change, form_url, obj)

    def get_object(self, request: HttpRequest, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is not None:
            obj.reader = request.user
        return obj


def link_for_reader(obj: Model, reader, text: str | None = None) -> str:
    """`obj` as a link to its admin page when `reader` may open that page, else as text: a
    link to a page that answers 403 is a dead end."""
    text = str(obj) if text is None else text
    opts = obj._meta
    may_open = reader is not None and (
        reader.has_perm(f"{opts.app_label}.view_{opts.model_name}")
        or reader.has_perm(f"{opts.app_label}.change_{opts.model_name}")
    )
    if not (may_open and admin.site.is_registered(type(obj))):
        return text
    url = reverse(f"{admin.site.name}:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
    return format_html('<a href="{}">{}</a>', url, text)


class BackOfficeSite(AdminSite):
    site_header = "Stockroom"
    site_title = "Stockroom"
    index_title = "Back office"
    site_url = None  # "View site" led back to this admin: the back office is the site
    # Stock tables are wide; the page needs the room more than a second menu.
    enable_nav_sidebar = False

    def register(self, model_or_iterable, admin_class=None, **options):
        admin_class = admin_class or ModelAdmin
        if not issubclass(admin_class, PlainWords):
            admin_class = type(
                admin_class.__name__,
                (PlainWords, admin_class),
                {"__module__": admin_class.__module__, "__doc__": admin_class.__doc__},
            )
        super().register(model_or_iterable, admin_class, **options)

    def get_app_list(self, request: HttpRequest, app_label: str | None = None) -> list[dict]:
        apps = super().get_app_list(request, app_label)
        for app in apps:
            app["models"] = [
                {**entry, "name": menu_name(entry["model"]._meta)}
                for entry in app["models"]
                if entry["model"]._meta.label_lower not in NOT_IN_MENU
            ]
            app["models"].sort(key=lambda entry: entry["name"].lower())
        return [app for app in apps if app["models"]]
