"""The router and base ViewSet of BigCommerce's surface (DESIGN §1, §6)."""

from drf_spectacular.openapi import AutoSchema
from rest_framework.routers import SimpleRouter
from rest_framework.viewsets import ViewSet

_LIST, *_OTHER_ROUTES = SimpleRouter.routes


class BigCommerceRouter(SimpleRouter):
    """BigCommerce's collections also take PUT (update many by id) and DELETE (many by
    `?location_id:in`), so the collection route maps those as well as GET and POST. Paths use
    Django's converters (`<int:…>`, `<uuid:…>`), which the OpenAPI document types from."""

    routes = [
        _LIST._replace(mapping={**_LIST.mapping, "put": "update_many", "delete": "destroy_many"}),
        *_OTHER_ROUTES,
    ]

    def __init__(self) -> None:
        super().__init__(trailing_slash=False, use_regex_path=False)


class ObjectAnswers(AutoSchema):
    """BigCommerce's list answers are objects (`data` and `meta`), never bare arrays."""

    def _is_list_view(self, serializer=None) -> bool:
        return False


class BodyOnDelete(ObjectAnswers):
    """BigCommerce's batch DELETE of metafields takes the ids in its body; drf-spectacular
    documents the bodies of POST, PUT and PATCH only."""

    def _get_request_body(self, direction="request"):
        if self.method != "DELETE":
            return super()._get_request_body(direction)
        self.method = "POST"
        try:
            return super()._get_request_body(direction)
        finally:
            self.method = "DELETE"


# No docstring here nor on the ViewSets that had none as APIViews: a docstring becomes the
# description in the OpenAPI document and in OPTIONS answers.
class BigCommerceViewSet(ViewSet):
    # `view_names`: the name each route had as an APIView, which OPTIONS still answers with.
    # Keyed by any action of the route, since an OPTIONS request runs no action.

    schema = ObjectAnswers()
    view_names: dict[str, str] = {}

    def get_view_name(self) -> str:
        for action in self.action_map.values():
            if action in self.view_names:
                return self.view_names[action]
        return super().get_view_name()
