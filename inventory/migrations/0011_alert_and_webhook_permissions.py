"""Who sees alerts and manages webhooks: staff see the alerts of their locations; managers see
every alert and manage webhook endpoints (their secrets included) and the outbox."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

STAFF = ["view_lowstockalert"]
MANAGERS = [
    "view_lowstockalert",
    "add_webhookendpoint",
    "change_webhookendpoint",
    "delete_webhookendpoint",
    "view_webhookendpoint",
    "view_webhookevent",
    "change_webhookevent",  # the "retry now" action
    "view_webhookattempt",
]
GROUPS = {"Store staff": STAFF, "Inventory managers": MANAGERS}


def grant(apps, schema_editor):
    # Permissions are normally created after all migrations ran (post_migrate); create them
    # now so the groups can hold them on a fresh database.
    app_config = apps.get_app_config("inventory")
    app_config.models_module = True
    create_permissions(app_config, verbosity=0, apps=apps)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in GROUPS.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(
            *Permission.objects.filter(content_type__app_label="inventory", codename__in=codenames)
        )


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in GROUPS.items():
        group = Group.objects.filter(name=name).first()
        if group is not None:
            group.permissions.remove(
                *Permission.objects.filter(
                    content_type__app_label="inventory", codename__in=codenames
                )
            )


class Migration(migrations.Migration):
    dependencies = [
        ("inventory", "0010_low_stock_alerts_and_webhooks"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
