"""The one credential a URL may carry: `?token=`, Ecwid's older way of sending a token, taken
on Ecwid's routes (inventory.api.ecwid.auth). It is kept out of request fingerprints
(inventory.api.idempotent) and out of the request lines the development server logs
(RedactQueryToken, in the settings' LOGGING: so this module imports no models)."""

import logging
import re

QUERY_TOKEN = "token"
_VALUE = re.compile(rf"([?&]{QUERY_TOKEN}=)[^&\s#]*")


def redact_query_token(text: str) -> str:
    """`…?token=secret&x=1` → `…?token=[redacted]&x=1`."""
    return _VALUE.sub(r"\1[redacted]", text)


class RedactQueryToken(logging.Filter):
    """No `?token=` value in a logged message or its arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact_query_token(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(
                redact_query_token(arg) if isinstance(arg, str) else arg for arg in record.args
            )
        return True
