"""The UUIDs Zettle clients name things by, beside the ones our models keep.

- A variant is an Item: its `uuid` is Zettle's `variantUuid`, its `product_uuid` Zettle's
  `productUuid` (shared by every item of the product; see inventory.models.stock).
- Our locations are Zettle's STORE locations, by their `uuid`. Zettle's virtual locations
  (SUPPLIER: where restocks come from, SOLD, BIN: where sales and write-offs go) hold no stock
  here; each has a fixed UUID (uuid5), listed with the stores by the Zettle locations endpoint."""

import uuid

from inventory.models.catalog import DERIVED_UUID_NAMESPACE

STORE = "STORE"
SUPPLIER = "SUPPLIER"
SOLD = "SOLD"
BIN = "BIN"
VIRTUAL_TYPES = (SUPPLIER, SOLD, BIN)
LOCATION_TYPES = (STORE, *VIRTUAL_TYPES)


def virtual_location_uuid(location_type: str) -> uuid.UUID:
    if location_type not in VIRTUAL_TYPES:
        raise ValueError(f"not a virtual Zettle location: {location_type!r}")
    return uuid.uuid5(DERIVED_UUID_NAMESPACE, f"location:{location_type}")


VIRTUAL_LOCATIONS = {virtual_location_uuid(kind): kind for kind in VIRTUAL_TYPES}
