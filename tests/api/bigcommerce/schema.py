"""Validate our responses against BigCommerce's own OpenAPI component schemas (kept unchanged in
tests/api/bigcommerce/), so "wire-compatible" is checked, not assumed."""

from functools import cache
from pathlib import Path

import jsonschema
import yaml
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

REFERENCE = Path(__file__).resolve().parent
SPECS = {"inventory": "bigcommerce-inventory.v3.yml", "locations": "bigcommerce-locations.v3.yml"}


# Where BigCommerce's own words say a value may be null but its OpenAPI 3.0 type forgets
# `nullable`: "`null` if the item is a base variant". Null is allowed there, and only there.
DOCUMENTED_NULLS = {"inventory": [("ItemResponse", "identity", "sku_id")]}


@cache
def _spec(name: str) -> dict:
    document = yaml.safe_load((REFERENCE / SPECS[name]).read_text())
    for component, *path in DOCUMENTED_NULLS.get(name, []):
        schema = document["components"]["schemas"][component]
        for key in path:
            schema = schema["properties"][key]
        assert "`null`" in schema["description"]
        schema["type"] = [schema["type"], "null"]
    return document


def assert_matches(instance: object, schema: str, spec: str = "inventory") -> None:
    """Raise if `instance` does not validate against components.schemas[`schema`]."""
    document = _spec(spec)
    registry = Registry().with_resource("", Resource(document, specification=DRAFT202012))
    # The root is the whole spec, so the component's own $refs resolve within it.
    validator = jsonschema.Draft202012Validator(
        {**document, "$ref": f"#/components/schemas/{schema}"}, registry=registry
    )
    validator.validate(instance)
