"""Where the API lives: under /api/ (our paths and each vendor's), and under BigCommerce's own
prefix /stores/{store_hash}/v3/, which its client libraries build themselves and which serves
the same routes as /api/v3/ (inventory_project/urls.py). Everything that treats API requests
apart from pages (body limits, error answers, the NUL check) asks `is_api_path`."""

import re

from django.conf import settings

STORE_PATHS = "/stores/"
API_PREFIXES = ("/api/", STORE_PATHS)
BIGCOMMERCE_PREFIX = "/api/v3/"


def is_api_path(path: str) -> bool:
    return path.startswith(API_PREFIXES)


def store_prefix() -> str:
    """/stores/{STORE_HASH}/v3/, the prefix BigCommerce's clients put before every path."""
    return f"{STORE_PATHS}{settings.STORE_HASH}/v3/"


def store_route() -> str:
    """The store prefix as a URL pattern that captures nothing: the views take no `store_hash`
    argument, and a request naming another store matches no route (404)."""
    return "^" + re.escape(store_prefix().lstrip("/"))


def is_other_store(path: str) -> bool:
    """A path under /stores/ that names a store hash other than this one."""
    return path.startswith(STORE_PATHS) and path.split("/")[2] != settings.STORE_HASH


def canonical_path(path: str) -> str:
    """The /api/v3/ form of a path under the store prefix: the same operation, so a retry with
    the same Idempotency-Key is the same request whichever prefix it came through."""
    prefix = store_prefix()
    return BIGCOMMERCE_PREFIX + path[len(prefix) :] if path.startswith(prefix) else path
