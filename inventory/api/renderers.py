"""The API's JSON renderer. A view answers with the pydantic model that documents its response
(`Response(InventoryItemsResponse.model_validate(...))`); the model's own serializer writes the
bytes, so what is sent is what the OpenAPI document describes. Anything else (error bodies,
replayed answers) is rendered by DRF's JSONRenderer, as before.

Both write the same bytes for the same data: pydantic escapes what `json.dumps` escapes, and
the line and paragraph separators are escaped here as DRF does (for clients that embed JSON in
JavaScript). Floats are the exception: pydantic writes 1e-05 as 0.00001, so a model with float
fields sets the class variable `python_floats` and is written by `json.dumps`, as are indented answers
(`Accept: application/json; indent=2`), which pydantic would space differently."""

from typing import Any

from pydantic import BaseModel
from rest_framework.renderers import JSONRenderer

_SEPARATORS = ((b"\xe2\x80\xa8", b"\\u2028"), (b"\xe2\x80\xa9", b"\\u2029"))


class ModelJSONRenderer(JSONRenderer):
    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: dict[str, Any] | None = None,
    ) -> bytes:
        if isinstance(data, BaseModel):
            indent = self.get_indent(accepted_media_type or "", renderer_context or {})
            if indent or getattr(data, "python_floats", False):
                data = data.model_dump(mode="json")
            else:
                return _escape_separators(data.model_dump_json().encode())
        return super().render(data, accepted_media_type, renderer_context)


def _escape_separators(body: bytes) -> bytes:
    # Outside strings JSON has no non-ASCII bytes, so these only ever replace string content.
    for raw, escaped in _SEPARATORS:
        if raw in body:
            body = body.replace(raw, escaped)
    return body
