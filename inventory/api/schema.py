"""The OpenAPI document as a whole: how a caller sends its token, how operations are grouped in
Swagger UI, and how /api/schema/ is served. (drf-spectacular finds the extensions when this module
is imported: inventory/apps.py.)"""

import re
from dataclasses import dataclass

from drf_spectacular.drainage import warn
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.renderers import OpenApiYamlRenderer
from drf_spectacular.views import SpectacularAPIView
from rest_framework.negotiation import DefaultContentNegotiation

TOKEN = "A Stockroom API token (`manage.py create_api_client`)"
SECURITY_SCHEMES = {
    "X-Auth-Token": {
        "type": "apiKey",
        "in": "header",
        "name": "X-Auth-Token",
        "description": f"{TOKEN}, as BigCommerce clients send it. Every operation takes it.",
    },
    "Bearer": {
        "type": "http",
        "scheme": "bearer",
        "description": f"{TOKEN} as `Authorization: Bearer <token>`, as Ecwid and Zettle "
        "clients send theirs. Every operation takes it.",
    },
}


class TokenSchemes(OpenApiAuthenticationExtension):
    """ApiClientAuthentication reads the token from either header on every surface, so every
    operation offers both, as alternatives. Swagger UI sends only the headers of the schemes an
    operation lists: a scheme missing there is a token authorized on the page and never sent."""

    target_class = "inventory.api.auth.ApiClientAuthentication"
    name = list(SECURITY_SCHEMES)

    def get_security_requirement(self, auto_schema):
        return [{name: []} for name in self.name]  # either one

    def get_security_definition(self, auto_schema):
        return list(SECURITY_SCHEMES.values())


class VendorBearerScheme(OpenApiAuthenticationExtension):
    """BearerTokenAuthentication reads the same two headers, and the vendor views list
    ApiClientAuthentication after it, whose TokenSchemes already documents both. Nothing to add;
    without an extension drf-spectacular would warn that it does not know the class."""

    target_class = "inventory.api.vendor.BearerTokenAuthentication"
    name: list[str] = []

    def get_security_requirement(self, auto_schema):
        return None

    def get_security_definition(self, auto_schema):
        return []


@dataclass(frozen=True, slots=True)
class Group:
    """A tag of the document: the operations whose path matches `paths` (a regular expression
    matched from the path's start; the first group that matches takes the operation)."""

    name: str
    description: str
    paths: str


# BigCommerce's base, ours (/api/v3) or BigCommerce's own (/stores/{store_hash}/v3).
_BIGCOMMERCE = r"/(?:api|stores/\{[^}]+\})/v3/"

# In the order Swagger UI lists them: it follows the document's `tags`.
GROUPS = (
    Group(
        "BigCommerce inventory",
        "BigCommerce's V3 Inventory API: adjustments and stock at locations.",
        _BIGCOMMERCE
        + r"inventory/(?:adjustments/(?:absolute|relative)|items|locations/\{[^}]+\}/items)$",
    ),
    Group(
        "BigCommerce locations",
        "BigCommerce's V3 Locations API.",
        _BIGCOMMERCE + r"inventory/locations(?:/|$)",
    ),
    Group(
        "Ecwid",
        "Ecwid's REST API for stock (base URL /api/ecwid/v3), in Ecwid's error shape.",
        r"/api/ecwid/",
    ),
    Group(
        "Zettle",
        "Zettle's inventory service (base URL /api/zettle), in Zettle's error shape.",
        r"/api/zettle/",
    ),
    Group(
        "Stockroom",
        "Ours, beside BigCommerce's paths: history, transfers (instant, and with a transit "
        "stage), supplier receipts, the item catalog, a token check.",
        _BIGCOMMERCE,
    ),
)


def group_of(path: str) -> Group | None:
    return next((group for group in GROUPS if re.match(group.paths, path)), None)


def group_operations(result, generator, request, public):
    """A postprocessing hook: every operation is tagged with the group its path belongs to,
    whatever its view declares, so a new route lands in its surface's group by its path."""
    result["tags"] = [{"name": group.name, "description": group.description} for group in GROUPS]
    for path, operations in result["paths"].items():
        group = group_of(path)
        if group is None:
            warn(f"{path} belongs to no group of inventory.api.schema.GROUPS")
            continue
        for operation in operations.values():
            operation["tags"] = [group.name]
    return result


class PlainTextYamlRenderer(OpenApiYamlRenderer):
    media_type = "text/plain"


# What a browser shows rather than saves, for each format of the document.
SHOWN_BY_BROWSERS = {PlainTextYamlRenderer.media_type, "application/json"}


class ReadableInBrowsers(DefaultContentNegotiation):
    """A browser opening /api/schema/ asks for text/html first (then anything); drf-spectacular
    would answer application/vnd.oai.openapi, which it saves as a file. It gets the same document
    in a type it shows: YAML as text/plain, or with `?format=json` application/json. Any other
    client negotiates as before (`Accept: application/vnd.oai.openapi+json`, `?format=json`)."""

    def select_renderer(self, request, renderers, format_suffix=None):
        format_asked = format_suffix or request.query_params.get("format")
        if format_asked not in {renderer.format for renderer in renderers}:
            format_asked = None  # ignored, like any query parameter we do not know
        if self.asks_for_a_page(request):
            wanted = format_asked or renderers[0].format
            for renderer in renderers:
                if renderer.format == wanted and renderer.media_type in SHOWN_BY_BROWSERS:
                    return renderer, renderer.media_type
        return super().select_renderer(request, renderers, format_asked)

    def asks_for_a_page(self, request) -> bool:
        asked = (media_type.split(";")[0].strip() for media_type in self.get_accept_list(request))
        return "text/html" in asked


class SchemaView(SpectacularAPIView):
    renderer_classes = [*SpectacularAPIView.renderer_classes, PlainTextYamlRenderer]
    content_negotiation_class = ReadableInBrowsers
