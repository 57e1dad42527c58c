from django.contrib import admin
from django.urls import include, path, re_path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularSwaggerSplitView

from inventory.admin.home import home_page
from inventory.api.paths import store_route
from inventory.api.schema import SchemaView

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
    # Each person's work first, in place of the admin's index of models (which it includes).
    path("admin/", admin.site.admin_view(home_page), name="home"),
    path("admin/", admin.site.urls),
    path("stocktakes/", include("inventory.stocktakes.urls")),
    path("", include("inventory.movements.urls")),
    path("exports/", include("inventory.reports.urls")),
    path("api/v3/", include("inventory.api.bigcommerce.urls")),
    # The same routes under BigCommerce's own prefix, which its client libraries build. Their
    # namespace keeps reverse("api-…") naming the /api/v3 ones.
    re_path(store_route(), include(("inventory.api.bigcommerce.urls", "bigcommerce"), "store")),
    path("api/ecwid/v3/", include("inventory.api.ecwid.urls")),
    path("api/zettle/", include("inventory.api.zettle.urls")),
    path("api/schema/", SchemaView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's start-up script as a file of its own, not inline, so
    # it runs under the Content-Security-Policy (script-src 'self').
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(
            url_name="api-schema", template_name="api/swagger_ui.html"
        ),
        name="api-docs",
    ),
]

handler404 = "inventory.api.surfaces.not_found"
