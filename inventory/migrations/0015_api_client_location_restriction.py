"""An API client's restriction to locations is stored, so that it survives the deletion of the
locations it names: a client whose every allowed location was deleted may touch none, where it
used to be allowed every location."""

from django.db import migrations, models


def mark_restricted(apps, schema_editor):
    ApiClient = apps.get_model("inventory", "ApiClient")
    ApiClient.objects.filter(allowed_locations__isnull=False).update(restricted_to_locations=True)


class Migration(migrations.Migration):
    dependencies = [
        ("inventory", "0014_webhook_pausing_one_delivery_per_endpoint_no_answer_kept"),
        ("locations", "0004_low_stock_emails"),
    ]

    operations = [
        migrations.AddField(
            model_name="apiclient",
            name="restricted_to_locations",
            field=models.BooleanField(
                default=False, help_text="Only the allowed locations, not every location."
            ),
        ),
        migrations.AlterField(
            model_name="apiclient",
            name="allowed_locations",
            field=models.ManyToManyField(
                blank=True,
                help_text="The locations a restricted client may see and change.",
                related_name="api_clients",
                to="locations.location",
            ),
        ),
        migrations.RunPython(mark_restricted, migrations.RunPython.noop),
    ]
