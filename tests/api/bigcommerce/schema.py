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


@cache
def _spec(name: str) -> dict:
    return yaml.safe_load((REFERENCE / SPECS[name]).read_text())


def assert_matches(instance: object, schema: str, spec: str = "inventory") -> None:
    """Raise if `instance` does not validate against components.schemas[`schema`]."""
    document = _spec(spec)
    registry = Registry().with_resource("", Resource(document, specification=DRAFT202012))
    # The root is the whole spec, so the component's own $refs resolve within it.
    validator = jsonschema.Draft202012Validator(
        {**document, "$ref": f"#/components/schemas/{schema}"}, registry=registry
    )
    validator.validate(instance)
