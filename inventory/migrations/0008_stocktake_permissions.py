"""Who may count and who may approve: staff count at their locations; managers also approve."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

STAFF = ["view_stocktake", "add_stocktake", "change_stocktake"]
MANAGERS = [*STAFF, "approve_stocktake"]


def grant(apps, schema_editor):
    app_config = apps.get_app_config("inventory")
    app_config.models_module = True
    create_permissions(app_config, verbosity=0, apps=apps)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in (("Store staff", STAFF), ("Inventory managers", MANAGERS)):
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(
            *Permission.objects.filter(content_type__app_label="inventory", codename__in=codenames)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("inventory", "0007_stocktakes"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
