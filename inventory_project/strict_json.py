"""JSON from outside, parsed by one rule wherever it arrives: the API's request bodies
(inventory.api.parsers, with `parse_json`) and the admin's JSON fields (a location's opening
hours, with `StrictJSONField`).

Python's json module lets through what later turns a bad request into a 500: NaN and Infinity
(not JSON, and PostgreSQL's jsonb refuses them), lone surrogates such as "\\ud800" (text that
cannot be encoded, so cannot be hashed or stored) and nesting deep enough to exhaust the stack
(json.loads runs out near 1000 levels, and code that walks the result recurses as well).
pydantic-core's parser refuses all three, numbers of more than 4300 digits too, and is faster.
It does accept an escaped NUL, which PostgreSQL cannot store or compare: that is refused here.
"""

import json
import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.forms.fields import JSONString
from pydantic_core import from_json

# pydantic-core's parser stops at this depth (not configurable); our bodies need five levels.
MAX_DEPTH = 200
# JSON can only carry NUL escaped: a raw NUL is a control character, refused by the parser.
NUL_ESCAPE = "\\u0000"
_POSITION = re.compile(r"at line [0-9]+ column [0-9]+")


class InvalidJSON(ValueError):
    """The text is not JSON we accept; the message says why, in words a person can act on."""


def parse_json(text: str | bytes) -> Any:
    if (NUL_ESCAPE.encode() if isinstance(text, bytes) else NUL_ESCAPE) in text:
        raise InvalidJSON("Text may not contain the NUL character (\\u0000).")
    try:
        return from_json(text, allow_inf_nan=False)
    except ValueError as error:
        raise InvalidJSON(_reason(str(error))) from None


def _reason(message: str) -> str:
    """pydantic-core's message, in words for whoever wrote the JSON."""
    if "recursion limit" in message:
        return f"Nested more than {MAX_DEPTH} levels deep."
    where = _POSITION.search(message)
    at = f" ({where.group(0)})" if where else ""
    if "hex escape" in message:
        return f"Not valid JSON{at}: a lone surrogate such as \\ud800, which is not a character."
    if "unicode code point" in message:
        return f"Not valid JSON{at}: the text is not UTF-8."
    return f"Not valid JSON: {message}."


class StrictJSONDecoder(json.JSONDecoder):
    """`parse_json` in the shape Django's JSONField form field calls (`json.loads(text,
    cls=...)`), refusing with the JSONDecodeError it catches."""

    def decode(self, s: str, *args: Any) -> Any:
        try:
            return parse_json(s)
        except InvalidJSON as error:
            raise json.JSONDecodeError(str(error), s, 0) from None


class StrictJSONField(forms.JSONField):
    """A JSON textarea parsed by `parse_json`; a refusal is a form error saying why. The
    decoder also serves Django's redisplay of what was typed and its has-changed check."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**{**kwargs, "decoder": StrictJSONDecoder})

    def to_python(self, value: Any) -> Any:
        if self.disabled or value in self.empty_values or not isinstance(value, str):
            return super().to_python(value)
        try:
            converted = parse_json(value)
        except InvalidJSON as error:
            raise ValidationError(str(error), code="invalid") from None
        # As Django's own field does: a JSON string stays told apart from text typed raw.
        return JSONString(converted) if isinstance(converted, str) else converted
