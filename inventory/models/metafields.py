from django.db import models

from inventory.models.api import ApiClient
from locations.models import Location

MAX_NAME_LENGTH = 64  # BigCommerce's limit for a namespace and a key
MAX_VALUE_LENGTH = 65_535
MAX_DESCRIPTION_LENGTH = 255


class LocationMetafield(models.Model):
    """A value an API client keeps about a location (BigCommerce's location metafields): a
    `key` in a `namespace`, and who else may read or change it (`permission_set`).

    It belongs to the API client that wrote it: as in BigCommerce, two clients may each keep
    the same namespace and key on a location, and a client's metafields go with it. It lives in
    `inventory`, beside the API clients that own it, because `locations` may not depend on
    `inventory`."""

    class Permission(models.TextChoices):
        APP_ONLY = "app_only", "Only the client that wrote it"
        READ = "read", "Other clients may read it"
        WRITE = "write", "Other clients may read and change it"
        READ_AND_SF_ACCESS = "read_and_sf_access", "Other clients may read it (storefront too)"
        WRITE_AND_SF_ACCESS = (
            "write_and_sf_access",
            "Other clients may read and change it (storefront too)",
        )

    # No index of its own: the unique constraint's index starts with the location.
    location = models.ForeignKey(
        Location, on_delete=models.CASCADE, related_name="metafields", db_index=False
    )
    owner = models.ForeignKey(
        ApiClient,
        on_delete=models.CASCADE,
        related_name="metafields",
        verbose_name="written by",
        help_text="The API client that wrote it.",
    )
    namespace = models.CharField(max_length=MAX_NAME_LENGTH)
    key = models.CharField(max_length=MAX_NAME_LENGTH)
    value = models.TextField()
    permission_set = models.CharField(
        "who else may use it", max_length=32, choices=Permission.choices
    )
    description = models.CharField(max_length=MAX_DESCRIPTION_LENGTH, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["location_id", "id"]
        verbose_name = "location metafield"
        constraints = [
            # BigCommerce: unique per app (client), namespace, key and resource.
            models.UniqueConstraint(
                fields=["location", "owner", "namespace", "key"],
                name="uniq_location_metafield_per_owner",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.namespace}.{self.key}"

    @property
    def shared_for_writing(self) -> bool:
        return self.permission_set in (self.Permission.WRITE, self.Permission.WRITE_AND_SF_ACCESS)
