"""An item needs a SKU and a name only: BigCommerce's product id becomes optional like its variant id,
an item's stock is tracked as a whole unless said otherwise, and every field says what it is for."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('inventory', '0022_stocktake_recount'),
    ]

    operations = [
        migrations.AlterField(
            model_name='item',
            name='barcode',
            field=models.CharField(blank=True, help_text='The GTIN, UPC or EAN printed on the label, so a scanner finds the item when adjusting or counting stock. Optional; no two items share one.', max_length=64),
        ),
        migrations.AlterField(
            model_name='item',
            name='name',
            field=models.CharField(blank=True, help_text='What people call it, shown beside the SKU.', max_length=255),
        ),
        migrations.AlterField(
            model_name='item',
            name='product_id',
            field=models.PositiveIntegerField(blank=True, db_index=True, help_text="Only if you sell through BigCommerce: the id of the item's product in its catalogue, for BigCommerce clients that change stock by product id. Leave it empty otherwise.", null=True, verbose_name='BigCommerce product id'),
        ),
        migrations.AlterField(
            model_name='item',
            name='sku',
            field=models.CharField(help_text='Your code for the item, unique: what people type to find it and what other systems name it by.', max_length=255, unique=True, verbose_name='SKU'),
        ),
        migrations.AlterField(
            model_name='item',
            name='tracking',
            field=models.CharField(choices=[('product', 'As a whole'), ('variant', 'As a variant of a product')], default='product', help_text='As a whole unless the item is one of several variants of a BigCommerce product, which BigCommerce counts by variant id.', max_length=16, verbose_name='stock tracked'),
        ),
        migrations.AlterField(
            model_name='item',
            name='variant_id',
            field=models.PositiveIntegerField(blank=True, help_text='Only for a variant (a size, a colour) of a BigCommerce product: its id in the BigCommerce catalogue, for BigCommerce clients that change stock by variant id.', null=True, unique=True, verbose_name='BigCommerce variant id'),
        ),
        migrations.AlterField(
            model_name='item',
            name='zettle_tracking',
            field=models.BooleanField(db_default=True, default=True, help_text="Only if you sell through Zettle. When off, Zettle neither reads nor moves this item's stock (Zettle's stop tracking of its product); its stock is kept, and every other channel changes it as before.", verbose_name='tracked in Zettle'),
        ),
    ]
