"""Rate-limit counts in the database, shared by every process of a deployment (the default when
no Redis is configured). UNLOGGED on PostgreSQL: a count is worth no WAL flush, and after a
crash the counts start again from zero."""

from django.db import migrations, models


def unlogged(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE inventory_ratelimitcounter SET UNLOGGED")


def logged(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE inventory_ratelimitcounter SET LOGGED")


class Migration(migrations.Migration):
    dependencies = [
        ("inventory", "0015_api_client_location_restriction"),
    ]

    operations = [
        migrations.CreateModel(
            name="RateLimitCounter",
            fields=[
                ("key", models.CharField(max_length=200, primary_key=True, serialize=False)),
                ("used", models.PositiveIntegerField()),
                ("expires_ms", models.BigIntegerField(db_index=True)),
            ],
        ),
        migrations.RunPython(unlogged, logged),
    ]
