"""Database router, installed only when replicas are configured. Writes, reads inside a
transaction on the primary, and reads of accounts, sessions, tokens and rate limits always go
to the primary; other reads go to a replica only in a request that opted in (middleware)."""

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

from inventory_project.replicas import state
from inventory_project.replicas.health import choose_replica

# Sign-in, permissions and API tokens must see what was just created or revoked.
PRIMARY_ONLY_APPS = frozenset({"admin", "auth", "axes", "contenttypes", "sessions"})
PRIMARY_ONLY_MODELS = frozenset(
    {"inventory.ApiClient", "inventory.IdempotencyRecord", "inventory.RateLimitCounter"}
)


class ReplicaRouter:
    def db_for_read(self, model, **hints) -> str:
        reads = state.current()
        if reads is None or not reads.may_use_replica or _primary_only(model):
            return DEFAULT_DB_ALIAS
        # A read inside a write must see that write, and take its locks, on the primary.
        if connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return DEFAULT_DB_ALIAS
        return reads.chosen(choose_replica) or DEFAULT_DB_ALIAS

    def db_for_write(self, model, **hints) -> str:
        # Explicit, so that saving an object read from a replica writes to the primary.
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints) -> bool | None:
        same_data = {DEFAULT_DB_ALIAS, *settings.DATABASE_REPLICAS}
        if obj1._state.db in same_data and obj2._state.db in same_data:
            return True
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints) -> bool | None:
        return False if db in settings.DATABASE_REPLICAS else None


def _primary_only(model) -> bool:
    return model._meta.app_label in PRIMARY_ONLY_APPS or model._meta.label in PRIMARY_ONLY_MODELS
