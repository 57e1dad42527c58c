"""The item form of the back office: a SKU and a name make an item; what only a sales channel
needs (BigCommerce's catalogue ids, Zettle's tracking) is optional, grouped and explained."""

from django import forms

from inventory.models import Item

ESSENTIALS = ["sku", "name", "barcode"]
CHANNELS = ["tracking", "product_id", "variant_id", "zettle_tracking"]
IDENTIFIERS = ["uuid", "product_uuid", "created_at", "updated_at"]

CHANNELS_HELP = (
    "Only needed if you sell through BigCommerce or Zettle and they change this item's stock. "
    "A store without them leaves these as they are."
)
NEEDS_VARIANT_ID = (
    "An item tracked as a variant needs its BigCommerce variant id: enter it, or keep the "
    "item's stock as a whole."
)


class ItemForm(forms.ModelForm):
    class Meta:
        model = Item
        fields = [*ESSENTIALS, *CHANNELS]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # The model allows an empty name (the catalog API may send none); a person names it.
        if "name" in self.fields:  # absent when the reader may only view items
            self.fields["name"].required = True

    def clean(self) -> dict:
        data = super().clean()
        # Said next to the field, before the database's constraint would say it for the form.
        if (
            data.get("tracking") == Item.Tracking.VARIANT
            and data.get("variant_id") is None
            and "variant_id" not in self.errors
        ):
            self.add_error("variant_id", NEEDS_VARIANT_ID)
        return data


def item_fieldsets(item: Item | None) -> list[tuple[str | None, dict]]:
    """The essentials first; the channels' ids folded away for an item that has none."""
    uses_channels = item is not None and (
        item.product_id is not None or item.tracking == Item.Tracking.VARIANT
    )
    fieldsets: list[tuple[str | None, dict]] = [
        (None, {"fields": ESSENTIALS}),
        (
            "BigCommerce and Zettle (optional)",
            {
                "fields": CHANNELS,
                "description": CHANNELS_HELP,
                "classes": [] if uses_channels else ["collapse"],
            },
        ),
    ]
    if item is not None:
        fieldsets.append(("Identifiers", {"fields": IDENTIFIERS, "classes": ["collapse"]}))
    return fieldsets
