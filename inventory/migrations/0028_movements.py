"""Transfers with a transit stage and supplier receipts (inventory.models.movements), and who
may do what with them: managers plan, ship, cancel and close transfers, create and close
supplier receipts and accept overages; store staff see and receive them at their locations."""

import django.db.models.deletion
from django.conf import settings
from django.contrib.auth.management import create_permissions
from django.db import migrations, models

GROUPS = {
    "Store staff": [
        "view_transferorder",
        "receive_transferorder",
        "view_supplierreceipt",
    ],
    "Inventory managers": [
        "view_transferorder",
        "add_transferorder",
        "ship_transferorder",
        "receive_transferorder",
        "accept_overage",
        "view_supplierreceipt",
        "add_supplierreceipt",
        "manage_supplierreceipt",
    ],
}


def grant(apps, schema_editor):
    # Permissions are normally created after all migrations ran (post_migrate); create these
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
    Permission = apps.get_model("auth", "Permission")
    codenames = {codename for names in GROUPS.values() for codename in names}
    Permission.objects.filter(content_type__app_label="inventory", codename__in=codenames).delete()


class Migration(migrations.Migration):

    dependencies = [
        ('inventory', '0027_python_defaults_too'),
        ('locations', '0005_plain_names'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [
        migrations.AlterField(
            model_name='adjustment',
            name='kind',
            field=models.CharField(choices=[('absolute', 'Set on hand'), ('relative', 'Add or remove'), ('transfer', 'Transfer'), ('stocktake', 'Stocktake'), ('shipment', 'Transfer shipped'), ('receipt', 'Received'), ('settings', 'Settings change')], max_length=16, verbose_name='type of change'),
        ),
        migrations.CreateModel(
            name='ReceivingEvent',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField()),
                ('note', models.CharField(blank=True, max_length=1000)),
                ('overage_accepted', models.BooleanField(default=False)),
                ('closing', models.BooleanField(default=False, help_text='Closed short: what was still outstanding is recorded missing.')),
                ('actor', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('adjustment', models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='receiving', to='inventory.adjustment')),
                ('api_client', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='inventory.apiclient')),
            ],
            options={
                'ordering': ['id'],
            },
        ),
        migrations.CreateModel(
            name='ReceivingEventLine',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('received', models.PositiveIntegerField(default=0)),
                ('damaged', models.PositiveIntegerField(default=0)),
                ('missing', models.PositiveIntegerField(default=0)),
                ('event', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='lines', to='inventory.receivingevent')),
                ('item', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='inventory.item')),
            ],
            options={
                'ordering': ['id'],
            },
        ),
        migrations.CreateModel(
            name='SupplierReceipt',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('supplier', models.CharField(max_length=200)),
                ('reference', models.CharField(blank=True, help_text="The supplier's or your order number: a PO number.", max_length=500)),
                ('expected_on', models.DateField(blank=True, null=True, verbose_name='expected')),
                ('status', models.CharField(choices=[('expected', 'Expected'), ('partially_received', 'Partly received'), ('received', 'Received'), ('closed', 'Closed')], default='expected', max_length=20)),
                ('note', models.CharField(blank=True, max_length=1000)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('closed_at', models.DateTimeField(blank=True, help_text='Received in full, or closed with the rest not coming.', null=True)),
                ('api_client', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='inventory.apiclient')),
                ('created_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('location', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='supplier_receipts', to='locations.location', verbose_name='into')),
            ],
            options={
                'ordering': ['-id'],
                'permissions': [('manage_supplierreceipt', 'Can create and close supplier receipts')],
            },
        ),
        migrations.AddField(
            model_name='receivingevent',
            name='receipt',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='events', to='inventory.supplierreceipt'),
        ),
        migrations.CreateModel(
            name='SupplierReceiptLine',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('expected', models.PositiveIntegerField()),
                ('received', models.PositiveIntegerField(default=0)),
                ('damaged', models.PositiveIntegerField(default=0)),
                ('item', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='inventory.item')),
                ('receipt', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='lines', to='inventory.supplierreceipt')),
            ],
            options={
                'ordering': ['item__sku'],
            },
        ),
        migrations.CreateModel(
            name='TransferOrder',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('status', models.CharField(choices=[('draft', 'Draft'), ('shipped', 'In transit'), ('partially_received', 'Partly received'), ('received', 'Received'), ('closed', 'Closed short'), ('cancelled', 'Cancelled')], default='draft', max_length=20)),
                ('reference', models.CharField(blank=True, help_text='Your own reference: a ticket, a waybill number.', max_length=500)),
                ('note', models.CharField(blank=True, max_length=1000)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('shipped_at', models.DateTimeField(blank=True, null=True)),
                ('closed_at', models.DateTimeField(blank=True, help_text='Received in full, closed short or cancelled.', null=True)),
                ('api_client', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='inventory.apiclient')),
                ('created_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('destination', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='transfers_in', to='locations.location', verbose_name='to')),
                ('origin', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='transfers_out', to='locations.location', verbose_name='from')),
                ('shipment', models.OneToOneField(blank=True, help_text="The ledger's record of the stock leaving the origin.", null=True, on_delete=django.db.models.deletion.PROTECT, related_name='shipped_transfer', to='inventory.adjustment')),
                ('shipped_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['-id'],
                'permissions': [('ship_transferorder', 'Can ship, cancel and close transfers'), ('receive_transferorder', 'Can receive transfers and supplier deliveries'), ('accept_overage', 'Can accept more than was shipped or expected')],
            },
        ),
        migrations.CreateModel(
            name='TransferLine',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('quantity', models.PositiveIntegerField(verbose_name='sent')),
                ('received', models.PositiveIntegerField(default=0)),
                ('damaged', models.PositiveIntegerField(default=0)),
                ('missing', models.PositiveIntegerField(default=0)),
                ('item', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='inventory.item')),
                ('transfer', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='lines', to='inventory.transferorder')),
            ],
            options={
                'ordering': ['item__sku'],
            },
        ),
        migrations.AddField(
            model_name='receivingevent',
            name='transfer',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='events', to='inventory.transferorder'),
        ),
        migrations.AddIndex(
            model_name='supplierreceipt',
            index=models.Index(fields=['status', 'location'], name='receipt_open_by_location'),
        ),
        migrations.AddConstraint(
            model_name='supplierreceiptline',
            constraint=models.UniqueConstraint(fields=('receipt', 'item'), name='uniq_receipt_item'),
        ),
        migrations.AddIndex(
            model_name='transferorder',
            index=models.Index(fields=['status', 'destination'], name='transfer_open_by_destination'),
        ),
        migrations.AddIndex(
            model_name='transferorder',
            index=models.Index(fields=['status', 'origin'], name='transfer_open_by_origin'),
        ),
        migrations.AddConstraint(
            model_name='transferorder',
            constraint=models.CheckConstraint(condition=models.Q(('origin', models.F('destination')), _negated=True), name='transfer_between_two_locations', violation_error_message='A transfer goes from one location to another.'),
        ),
        migrations.AddConstraint(
            model_name='transferline',
            constraint=models.UniqueConstraint(fields=('transfer', 'item'), name='uniq_transfer_item'),
        ),
        migrations.AddConstraint(
            model_name='transferline',
            constraint=models.CheckConstraint(condition=models.Q(('quantity__gt', 0)), name='transfer_line_positive'),
        ),
        migrations.AddConstraint(
            model_name='receivingevent',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('receipt__isnull', False), ('transfer__isnull', True)), models.Q(('receipt__isnull', True), ('transfer__isnull', False)), _connector='OR'), name='receiving_event_of_one_document'),
        ),
        migrations.AddField(
            model_name='supplierreceipt',
            name='closed_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='transferorder',
            name='closed_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
    
        migrations.RunPython(grant, revoke),
    ]
