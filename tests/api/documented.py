"""Validate a response against our own OpenAPI document, for answers the schema-driven runs
(tests/api/test_openapi_conformance.py) rarely reach: documents with lines and receivings."""

from functools import cache

import jsonschema
from drf_spectacular.generators import SchemaGenerator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012


@cache
def _document() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def assert_documented(instance: object, component: str) -> None:
    """Raise if `instance` does not validate against components.schemas[`component`]."""
    document = _document()
    registry = Registry().with_resource("", Resource(document, specification=DRAFT202012))
    validator = jsonschema.Draft202012Validator(
        {**document, "$ref": f"#/components/schemas/{component}"}, registry=registry
    )
    validator.validate(instance)
