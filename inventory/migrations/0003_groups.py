"""The two roles of the back office, as Django groups with their permissions."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

STORE_STAFF = "Store staff"
INVENTORY_MANAGERS = "Inventory managers"

GROUP_PERMISSIONS = {
    STORE_STAFF: [
        "locations.view_location",
        "inventory.view_item",
        "inventory.view_balance",
        "inventory.adjust_stock",
        "inventory.view_adjustment",
        "inventory.view_adjustmentline",
    ],
    INVENTORY_MANAGERS: [
        "locations.add_location",
        "locations.change_location",
        "locations.view_location",
        "locations.access_all_locations",
        "inventory.add_item",
        "inventory.change_item",
        "inventory.view_item",
        "inventory.change_balance",
        "inventory.view_balance",
        "inventory.adjust_stock",
        "inventory.view_adjustment",
        "inventory.view_adjustmentline",
    ],
}


def create_groups(apps, schema_editor):
    # Permissions are normally created after all migrations ran (post_migrate); create them
    # now so the groups can hold them on a fresh database.
    for label in ("locations", "inventory"):
        app_config = apps.get_app_config(label)
        app_config.models_module = True
        create_permissions(app_config, verbosity=0, apps=apps)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, perms in GROUP_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=name)
        for perm in perms:
            app_label, codename = perm.split(".")
            group.permissions.add(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=GROUP_PERMISSIONS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("locations", "0002_default_location"),
        ("inventory", "0002_ledger_append_only"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
