"""System checks of the deployment settings (`manage.py check --deploy`)."""

from django.conf import settings
from django.core import checks

# Caches whose counters every process of a deployment shares and bumps atomically.
SHARED_ATOMIC_CACHES = ("RedisCache", "PyMemcacheCache", "PyLibMCCache")


@checks.register(checks.Tags.security, deploy=True)
def rate_limit_store(app_configs, **kwargs) -> list[checks.CheckMessage]:
    """The API's rate limit holds only if every process counts in one place, atomically."""
    if settings.API_RATE_LIMIT_STORE != "cache":
        return []  # the database: shared and atomic
    backend = settings.CACHES["default"]["BACKEND"]
    name = backend.rsplit(".", 1)[-1]
    if name in SHARED_ATOMIC_CACHES:
        return []
    why = (
        "each process keeps its own counts"
        if name == "LocMemCache"
        else "its counts are not increased atomically"
    )
    return [
        checks.Warning(
            f"API rate limits are counted in the cache {backend}, and {why}: with several "
            "workers a client gets more than its quota.",
            hint="Set CACHE_URL to redis://host:6379/0, or API_RATE_LIMIT_STORE=database.",
            id="inventory.W001",
        )
    ]


@checks.register(checks.Tags.database, deploy=True)
def replica_positions_shared(app_configs, **kwargs) -> list[checks.CheckMessage]:
    """Read-your-writes on replicas holds only if the process that serves a client's read
    knows the WAL position another process recorded after that client's write."""
    if not settings.DATABASE_REPLICAS:
        return []
    backend = settings.CACHES["default"]["BACKEND"]
    if backend.rsplit(".", 1)[-1] != "LocMemCache":
        return []
    return [
        checks.Warning(
            f"DATABASE_REPLICA_URL is set and the cache is {backend}: each process remembers "
            "only its own clients' writes, so a read served by another worker may miss a "
            "client's own last write.",
            hint="Set CACHE_URL to redis://host:6379/0.",
            id="inventory.W002",
        )
    ]
