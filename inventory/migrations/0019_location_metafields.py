"""Location metafields (BigCommerce's), kept by API clients; Inventory managers see them on a
location's admin page."""

import django.db.models.deletion
from django.contrib.auth.management import create_permissions
from django.db import migrations, models

GROUP = "Inventory managers"
CODENAME = "view_locationmetafield"


def grant(apps, schema_editor):
    # Permissions are normally created after all migrations ran (post_migrate); create them
    # now so the group can hold them on a fresh database.
    app_config = apps.get_app_config("inventory")
    app_config.models_module = True
    create_permissions(app_config, verbosity=0, apps=apps)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=GROUP)
    group.permissions.add(
        Permission.objects.get(content_type__app_label="inventory", codename=CODENAME)
    )


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    Permission.objects.filter(content_type__app_label="inventory", codename=CODENAME).delete()


class Migration(migrations.Migration):

    dependencies = [
        ('inventory', '0018_item_product_uuid_and_zettle_tracking'),
        ('locations', '0004_low_stock_emails'),
        ('auth', '0012_alter_user_first_name_max_length'),
    ]

    operations = [
        migrations.CreateModel(
            name='LocationMetafield',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('namespace', models.CharField(max_length=64)),
                ('key', models.CharField(max_length=64)),
                ('value', models.TextField()),
                ('permission_set', models.CharField(choices=[('app_only', 'Only the client that wrote it'), ('read', 'Other clients may read it'), ('write', 'Other clients may read and change it'), ('read_and_sf_access', 'Other clients may read it (storefront too)'), ('write_and_sf_access', 'Other clients may read and change it (storefront too)')], max_length=32, verbose_name='who else may use it')),
                ('description', models.CharField(blank=True, max_length=255)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('updated_at', models.DateTimeField(auto_now=True)),
                ('location', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='metafields', to='locations.location')),
                ('owner', models.ForeignKey(help_text='The API client that wrote it.', on_delete=django.db.models.deletion.CASCADE, related_name='metafields', to='inventory.apiclient', verbose_name='written by')),
            ],
            options={
                'verbose_name': 'location metafield',
                'ordering': ['location_id', 'id'],
                'constraints': [models.UniqueConstraint(fields=('location', 'owner', 'namespace', 'key'), name='uniq_location_metafield_per_owner')],
            },
        ),
        migrations.RunPython(grant, revoke),
    ]
