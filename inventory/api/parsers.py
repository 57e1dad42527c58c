"""The API's only body parser: strict JSON, by the rule every JSON input follows
(inventory_project.strict_json). A body it refuses is a ParseError naming `body`, which the
API's exception handler answers with 400 (in the vendor's own error shape on vendor routes)."""

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from inventory_project.strict_json import InvalidJSON, parse_json


class StrictJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        body = stream.read() if stream is not None else b""
        try:
            return parse_json(body)
        except InvalidJSON as error:
            raise ParseError({"body": str(error)}) from None
