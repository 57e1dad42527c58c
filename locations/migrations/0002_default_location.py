from django.db import migrations

DEFAULT_LOCATION_ID = 1


def create_default_location(apps, schema_editor):
    Location = apps.get_model("locations", "Location")
    Location.objects.get_or_create(
        pk=DEFAULT_LOCATION_ID,
        defaults={"code": "DEFAULT", "label": "Default location", "type_id": "PHYSICAL"},
    )
    if schema_editor.connection.vendor == "postgresql":
        # The row was inserted with an explicit id; move the sequence past it.
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence('locations_location', 'id'),"
                " GREATEST((SELECT MAX(id) FROM locations_location), 1))"
            )


class Migration(migrations.Migration):
    dependencies = [("locations", "0001_initial")]

    operations = [migrations.RunPython(create_default_location, migrations.RunPython.noop)]
