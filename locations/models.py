import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models

DEFAULT_LOCATION_ID = 1


def split_addresses(value: str) -> list[str]:
    """Comma-separated email addresses as a list, blanks dropped."""
    return [part.strip() for part in value.split(",") if part.strip()]


def validate_email_list(value: str) -> None:
    """Every comma-separated part must be an email address; name the ones that are not."""
    invalid = []
    for address in split_addresses(value):
        try:
            validate_email(address)
        except ValidationError:
            invalid.append(address)
    if invalid:
        raise ValidationError(
            "Not valid email addresses: %(invalid)s. Separate addresses with commas.",
            code="invalid_email_list",
            params={"invalid": ", ".join(invalid)},
        )


class Location(models.Model):
    """A place that holds stock. `id` is BigCommerce's `location_id`."""

    class Type(models.TextChoices):
        PHYSICAL = "PHYSICAL", "Physical"
        VIRTUAL = "VIRTUAL", "Virtual"

    code = models.CharField(
        max_length=100,
        unique=True,
        help_text="A short code for lists and files, e.g. DT.",
        error_messages={"unique": "Another location already has this code: choose another."},
    )
    label = models.CharField("name", max_length=255)
    description = models.TextField(blank=True)
    type_id = models.CharField("type", max_length=16, choices=Type.choices, default=Type.PHYSICAL)
    enabled = models.BooleanField(default=True)
    managed_by_external_source = models.BooleanField(
        "managed by another system",
        default=False,
        help_text="Another system keeps this location's stock (BigCommerce's "
        "managed_by_external_source).",
    )
    storefront_visibility = models.BooleanField("shown on the storefront", default=True)
    time_zone = models.CharField(max_length=64, default="Etc/UTC")
    allow_negative_stock = models.BooleanField(
        default=False, help_text="Let sales and removals take on-hand below zero."
    )
    stocktake_variance_threshold = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Largest difference (in units, per item) store staff may apply from a count "
        "without a manager's approval. Empty: the store-wide default.",
    )
    low_stock_emails = models.CharField(
        "low-stock email recipients",
        max_length=1000,
        blank=True,
        validators=[validate_email_list],
        help_text="Comma-separated addresses told when stock here runs low. Empty: the "
        "store's usual addresses.",
    )
    uuid = models.UUIDField("identifier", default=uuid.uuid4, unique=True, editable=False)

    address1 = models.CharField(max_length=255, blank=True)
    address2 = models.CharField(max_length=255, blank=True)
    city = models.CharField(max_length=255, blank=True)
    state = models.CharField(max_length=255, blank=True)
    zip = models.CharField("ZIP", max_length=32, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=64, blank=True)
    country_code = models.CharField("country code", max_length=3, blank=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    operating_hours = models.JSONField(default=dict, blank=True)
    special_hours = models.JSONField(default=list, blank=True)

    staff = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        related_name="assigned_locations",
        blank=True,
        help_text="Store staff who count and adjust stock here.",
    )

    created_at = models.DateTimeField("created", auto_now_add=True)
    updated_at = models.DateTimeField("last changed", auto_now=True)

    class Meta:
        ordering = ["id"]
        permissions = [("access_all_locations", "Can see and change stock at every location")]

    def __str__(self) -> str:
        return self.label

    @property
    def low_stock_recipients(self) -> list[str]:
        """Who is emailed about low stock here: this location's list, else the store's."""
        return split_addresses(self.low_stock_emails) or list(settings.STOCK_ALERT_EMAILS)
