from importlib import import_module

import factory
from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission

from inventory.models import Adjustment, Item
from inventory.permissions import INVENTORY_MANAGERS, STORE_STAFF
from inventory.stock import LineInput, apply_adjustment
from locations.models import Location


class LocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Location

    code = factory.Sequence(lambda n: f"LOC-{n:03d}")
    label = factory.Sequence(lambda n: f"Store {n}")


class ItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Item

    sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    product_id = factory.Sequence(lambda n: 1000 + n)
    variant_id = factory.Sequence(lambda n: 50_000 + n)
    name = factory.Sequence(lambda n: f"Item {n}")
    barcode = factory.Sequence(lambda n: f"{4006381000000 + n}")
    tracking = Item.Tracking.VARIANT


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    is_staff = True
    password = factory.PostGenerationMethodCall("set_password", "pw")

    @factory.post_generation
    def groups(self, create, names, **kwargs):
        for name in names or []:
            self.groups.add(role(name))
        self.save()


def _role_permissions() -> dict[str, list[str]]:
    """What the migrations grant each group, read from the migrations themselves."""
    groups = import_module("inventory.migrations.0003_groups").GROUP_PERMISSIONS
    stocktakes = import_module("inventory.migrations.0008_stocktake_permissions")
    metafields = import_module("inventory.migrations.0019_location_metafields").CODENAME
    alerts = import_module("inventory.migrations.0011_alert_and_webhook_permissions").GROUPS
    acknowledge = import_module("inventory.migrations.0024_alert_acknowledgement").CODENAME
    movements = import_module("inventory.migrations.0028_movements").GROUPS
    extra = {
        STORE_STAFF: [*stocktakes.STAFF, *alerts[STORE_STAFF], *movements[STORE_STAFF]],
        INVENTORY_MANAGERS: [
            *stocktakes.MANAGERS,
            *alerts[INVENTORY_MANAGERS],
            metafields,
            acknowledge,
            *movements[INVENTORY_MANAGERS],
        ],
    }
    return {
        name: [*perms, *(f"inventory.{codename}" for codename in extra[name])]
        for name, perms in groups.items()
    }


def role(name: str) -> Group:
    """A group the migrations create. Transactional tests flush the database, migrations' rows
    included, so rebuild the group when it is gone."""
    group, created = Group.objects.get_or_create(name=name)
    if created:
        for label in ("locations", "inventory"):
            create_permissions(apps.get_app_config(label), verbosity=0)
        for perm in _role_permissions()[name]:
            app_label, codename = perm.split(".")
            group.permissions.add(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )
    return group


def manager(**kwargs):
    return UserFactory(groups=[INVENTORY_MANAGERS], **kwargs)


def store_staff(*locations, **kwargs):
    user = UserFactory(groups=[STORE_STAFF], **kwargs)
    for location in locations:
        location.staff.add(user)
    return user


def set_stock(item, location, quantity, **kwargs):
    """Put stock in place the only legal way: through the write path."""
    return apply_adjustment(
        kind=Adjustment.Kind.ABSOLUTE,
        source=Adjustment.Source.SYSTEM,
        lines=[LineInput(location_id=location.pk, item_id=item.pk, quantity=quantity)],
        **kwargs,
    )
