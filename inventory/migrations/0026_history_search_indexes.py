"""Indexes behind the history search (inventory/reports/history_search.py): the short id shown
in the lists, and on PostgreSQL trigram indexes for words inside SKUs, item names, notes and
references. Django's `icontains` on PostgreSQL is `UPPER(column::text) LIKE UPPER(%s)`, so the
trigram indexes are on that very expression. SQLite has no trigram indexes: there the search
reads the (small) item and adjustment tables, as the page reads them anyway."""

import django.db.models.functions.comparison
import django.db.models.functions.text
from django.db import migrations, models

TRIGRAM_INDEXES = {
    "adjustment_note_trgm": ("inventory_adjustment", "reason"),
    "adjustment_reference_trgm": ("inventory_adjustment", "reference"),
    "item_sku_trgm": ("inventory_item", "sku"),
    "item_name_trgm": ("inventory_item", "name"),
}


class RunSQLOnPostgreSQL(migrations.RunSQL):
    """RunSQL that runs only on PostgreSQL (a no-op elsewhere)."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):
    dependencies = [("inventory", "0025_item_constraint_words")]

    operations = [
        migrations.AddIndex(
            model_name="adjustment",
            index=models.Index(
                django.db.models.functions.text.Right(
                    django.db.models.functions.comparison.Cast(
                        "transaction_id", models.CharField()
                    ),
                    8,
                ),
                name="adjustment_short_id",
            ),
        ),
        # pg_trgm is a trusted extension (PostgreSQL 13+): the database's owner may create it.
        RunSQLOnPostgreSQL(
            "CREATE EXTENSION IF NOT EXISTS pg_trgm", reverse_sql=migrations.RunSQL.noop
        ),
        *(
            RunSQLOnPostgreSQL(
                f"CREATE INDEX {name} ON {table} USING gin (UPPER({column}::text) gin_trgm_ops)",
                reverse_sql=f"DROP INDEX IF EXISTS {name}",
            )
            for name, (table, column) in TRIGRAM_INDEXES.items()
        ),
    ]
