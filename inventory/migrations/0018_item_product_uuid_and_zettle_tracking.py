"""Items carry their product's UUID (Zettle's productUuid), stored so that a product can be found
by it; existing items get the one derived from their product id, the UUID clients were already
shown for it. And Zettle's start/stop tracking, on for every existing item."""

import uuid

from django.db import migrations, models

# inventory.models.catalog.DERIVED_UUID_NAMESPACE, written out: a migration never changes.
NAMESPACE = uuid.UUID("83cc8b82-3d6e-4677-acd5-72b915a3dcd8")


def fill_product_uuids(apps, schema_editor):
    Item = apps.get_model("inventory", "Item")
    items = Item.objects.only("pk", "product_id").order_by("pk")
    batch = []
    for item in items.iterator(chunk_size=2000):
        item.product_uuid = uuid.uuid5(NAMESPACE, f"product:{item.product_id}")
        batch.append(item)
        if len(batch) == 2000:
            Item.objects.bulk_update(batch, ["product_uuid"])
            batch = []
    Item.objects.bulk_update(batch, ["product_uuid"])


class Migration(migrations.Migration):
    dependencies = [("inventory", "0017_login_lockout_permissions")]

    operations = [
        migrations.AddField(
            model_name="item",
            name="product_uuid",
            field=models.UUIDField(editable=False, null=True),
        ),
        migrations.RunPython(fill_product_uuids, migrations.RunPython.noop, elidable=True),
        migrations.AlterField(
            model_name="item",
            name="product_uuid",
            field=models.UUIDField(
                db_index=True,
                editable=False,
                help_text="Its product's UUID, the same for every item of the product (Zettle's "
                "productUuid).",
                verbose_name="product UUID",
            ),
        ),
        migrations.AddField(
            model_name="item",
            name="zettle_tracking",
            field=models.BooleanField(
                default=True,
                db_default=True,
                help_text="Zettle's start and stop tracking of the item's product. When off, "
                "Zettle's balance reads leave the item out and Zettle's movements of it are "
                "refused; its balances are kept, and every other channel changes them as before.",
                verbose_name="tracked in Zettle",
            ),
        ),
    ]
