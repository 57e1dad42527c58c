"""JSON bodies built to break the server rather than to be refused: nested ~1000 levels deep
(Python's json module ran out of stack: a 500), a lone surrogate such as "\\ud800" (text that
cannot be encoded, so the Idempotency-Key fingerprint failed: a 500), NaN (not JSON). On every
write operation of the OpenAPI document, in a field the operation ignores, each is a 400 that
names the body, in the shape of the API that answers (problem+json, Ecwid's, Zettle's), and
nothing changes. The parser's own rule is tested at the end."""

import json

import pytest

from inventory_project.strict_json import MAX_DEPTH, InvalidJSON, parse_json
from tests.api.test_security import (
    WRITE,
    WRITE_CALLS,
    Call,
    Operation,
    operation_id,
    refused_fields,
    snapshot,
    world,  # noqa: F401 (a fixture, found by its name)
)

DEEP = "[" * 990 + "]" * 990
JSON_BODIES = sorted(op for op in WRITE_CALLS if op[0] != "DELETE")  # DELETE has no body


def with_extra_field(call: Call, raw_value: str) -> str:
    """The call's valid body with `"note": <raw_value>` added where the operation ignores it
    (the body itself, or its first entry when it is a list), as JSON text."""
    body = call.body[0] if isinstance(call.body, list) else call.body
    text = json.dumps({**body, "note": "MARK"})
    text = text.replace('"MARK"', raw_value)
    return f"[{text}]" if isinstance(call.body, list) else text


def send(client, call: Call, body: str, **headers):
    return client.generic(call.method, call.path, body, content_type="application/json", **headers)


def assert_body_refused(response):
    fields = refused_fields(response, 400)
    if not response.wsgi_request.path.startswith("/api/ecwid/"):  # Ecwid names none
        assert fields == {"body"}


@pytest.mark.parametrize("operation", JSON_BODIES, ids=operation_id)
@pytest.mark.parametrize(
    "raw_value",
    [DEEP, '"\\ud800"', '"\\udc00 and text"', "NaN", "-Infinity"],
    ids=["nested 990 deep", "lone high surrogate", "lone low surrogate", "NaN", "-Infinity"],
)
def test_a_hostile_ignored_field_is_a_400_and_changes_nothing(
    operation: Operation,
    raw_value,
    world,  # noqa: F811 (the fixture imported above)
    api_client_factory,
    api,
):
    call = WRITE_CALLS[operation](world)
    _, token = api_client_factory(WRITE)
    client = api(token)
    before = snapshot()

    refused = send(client, call, with_extra_field(call, raw_value), HTTP_IDEMPOTENCY_KEY="k-1")

    assert_body_refused(refused)
    assert snapshot() == before
    # The control: the same body without the hostile field is applied.
    assert send(client, call, with_extra_field(call, '"a note"')).status_code == 200


def test_a_surrogate_pair_is_a_character_and_is_accepted(api_client_factory, api):
    _, token = api_client_factory(WRITE)
    call = Call("POST", "/api/v3/items")

    response = send(
        api(token),
        call,
        '[{"sku": "EMOJI-\\ud83d\\ude00", "product_id": 5}]',
        HTTP_IDEMPOTENCY_KEY="k",
    )

    assert response.status_code == 200, response.content
    assert "EMOJI-\U0001f600" in {row["sku"] for row in snapshot()["Item"]}


# --- the rule -----------------------------------------------------------------------------------


def nested(levels: int) -> list[str]:
    """`levels` deep, once in arrays and once in objects."""
    return ["[" * levels + "]" * levels, '{"a":' * levels + "1" + "}" * levels]


def test_nesting_up_to_the_limit_parses_and_deeper_is_refused():
    for text in nested(MAX_DEPTH):
        assert parse_json(text) is not None
    for text in nested(MAX_DEPTH + 2):  # pydantic-core counts arrays one level later
        with pytest.raises(InvalidJSON, match=f"more than {MAX_DEPTH} levels deep"):
            parse_json(text)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (b'{"a": "\\u0000"}', "Text may not contain the NUL character"),
        (b'{"a": "\\ud800"}', "(at line 1 column 14): a lone surrogate such as \\ud800"),
        (b'{"a": "\\udc00 x"}', "(at line 1 column 13): a lone surrogate such as \\ud800"),
        (b'{"a": "\xed\xa0\x80"}', "(at line 1 column 8): the text is not UTF-8."),
        (b'{"a": NaN}', "Not valid JSON: expected value at line 1 column 7."),
        (b'{"a": Infinity}', "Not valid JSON: expected value"),
        (b'{"a": ' + b"1" * 4301 + b"}", "Not valid JSON: number out of range"),
        ("[" * 5000, "Nested more than 200 levels deep."),
        (b"", "Not valid JSON: EOF while parsing a value"),
        (b'{"a": 1} trailing', "Not valid JSON: trailing characters"),
    ],
)
def test_the_rule_refuses_saying_why(text, reason):
    with pytest.raises(InvalidJSON) as refused:
        parse_json(text)

    assert reason in str(refused.value)


def test_the_rule_parses_what_json_does():
    text = '{"a": [1, -2.5, 1e3, true, null, "caf\\u00e9 \\ud83d\\ude00"], "b": {}}'

    assert parse_json(text) == json.loads(text)
    assert parse_json(text.encode()) == json.loads(text)
