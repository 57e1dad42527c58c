"""API clients' tokens: issued here, checked here; the admin, the commands and the API use this.

A token is `<prefix>.<secret>`. The prefix finds the client; only a SHA-256 of the secret is
stored and compared (a fast hash suffices: secrets are 256-bit random, not passwords)."""

import hashlib
import hmac
import secrets

from inventory.models import ApiClient


def issue_token(client: ApiClient) -> str:
    """Give `client` a new token and return it. It is shown once: only its hash is kept."""
    prefix = secrets.token_hex(4)
    secret = secrets.token_urlsafe(32)
    client.token_prefix = prefix
    client.token_hash = _hash(secret)
    return f"{prefix}.{secret}"


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def client_for_token(token: str) -> ApiClient | None:
    """The active client whose token this is, or None."""
    prefix, _, secret = token.strip().partition(".")
    if not prefix or not secret:
        return None
    client = ApiClient.objects.filter(token_prefix=prefix, revoked_at__isnull=True).first()
    if client is None or not hmac.compare_digest(client.token_hash, _hash(secret)):
        return None
    return client
