"""A manager acknowledges an open low-stock alert (who, when, an optional note); managers
may, store staff may not."""

import django.db.models.deletion
from django.conf import settings
from django.contrib.auth.management import create_permissions
from django.db import migrations, models

CODENAME = "acknowledge_lowstockalert"
GROUPS = ["Inventory managers"]


def grant(apps, schema_editor):
    # Permissions are normally created after all migrations ran (post_migrate); create this
    # one now so the group can hold it on a fresh database.
    app_config = apps.get_app_config("inventory")
    app_config.models_module = True
    create_permissions(app_config, verbosity=0, apps=apps)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permission = Permission.objects.get(content_type__app_label="inventory", codename=CODENAME)
    for name in GROUPS:
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(permission)


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    Permission.objects.filter(content_type__app_label="inventory", codename=CODENAME).delete()


class Migration(migrations.Migration):

    dependencies = [
        ('inventory', '0023_item_optional_catalogue_ids'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name='lowstockalert',
            options={'ordering': [models.OrderBy(models.F('closed_at'), descending=True, nulls_first=True), '-opened_at', '-id'], 'permissions': [('acknowledge_lowstockalert', 'Can acknowledge low-stock alerts')], 'verbose_name': 'low-stock alert'},
        ),
        migrations.AddField(
            model_name='lowstockalert',
            name='acknowledged_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='lowstockalert',
            name='acknowledged_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='lowstockalert',
            name='acknowledgement_note',
            field=models.CharField(blank=True, db_default='', max_length=500, verbose_name='note'),
        ),
        migrations.RunPython(grant, revoke),
    ]
