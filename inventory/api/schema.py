"""OpenAPI description of our token scheme (drf-spectacular finds extensions when imported)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class ApiClientAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "inventory.api.auth.ApiClientAuthentication"
    name = "X-Auth-Token"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "X-Auth-Token",
            "description": "A Stockroom API token (`manage.py create_api_client`).",
        }
