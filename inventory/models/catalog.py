"""The catalog's size, kept by the database."""

from django.db import models


class CatalogSize(models.Model):
    """How many items there are: one row, kept by triggers on PostgreSQL (migration 0031). The
    API's item lists report the total on every page, and at a million items counting them
    costs more than the page itself. SQLite counts instead (`inventory.stock.selectors.item_total`)."""

    items = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.items} items"
