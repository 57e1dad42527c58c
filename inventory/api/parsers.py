"""The API's only body parser: JSON, refusing the NUL character. PostgreSQL cannot store or
compare text containing NUL, so letting it through would turn a bad request into a 500."""

import json

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

# JSON can only carry NUL escaped; a raw NUL byte is not valid JSON and fails to parse anyway.
NUL_ESCAPES = (b"\\u0000", b"\\U0000")


class JSONWithoutNulParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        body = stream.read() if stream is not None else b""
        if any(escape in body for escape in NUL_ESCAPES):
            raise ParseError("Text in the body may not contain the NUL character (\\u0000).")
        try:
            return json.loads(body)
        except ValueError as exc:
            raise ParseError(f"The body is not valid JSON: {exc}") from None
