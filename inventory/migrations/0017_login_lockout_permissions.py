"""Inventory managers see login lockouts (django-axes' access attempts) and lift them by deleting
the attempt; they also see the log of logins and failures. Nobody else does."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Inventory managers"
CODENAMES = [
    "view_accessattempt",
    "delete_accessattempt",
    "view_accesslog",
    "view_accessfailurelog",
]


def grant(apps, schema_editor):
    # Permissions are normally created after all migrations ran (post_migrate); create them
    # now so the group can hold them on a fresh database.
    app_config = apps.get_app_config("axes")
    app_config.models_module = True
    create_permissions(app_config, verbosity=0, apps=apps)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=GROUP)
    group.permissions.add(
        *Permission.objects.filter(content_type__app_label="axes", codename__in=CODENAMES)
    )


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.filter(name=GROUP).first()
    if group is not None:
        group.permissions.remove(
            *Permission.objects.filter(content_type__app_label="axes", codename__in=CODENAMES)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("inventory", "0016_rate_limit_counters"),
        ("axes", "0010_accessattemptexpiration"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
