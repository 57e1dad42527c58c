"""The UUIDs Zettle clients name things by, beside the ones our models keep.

- A variant is an Item: its `uuid` is Zettle's `variantUuid`.
- Stockroom keeps no product entity, so a product's UUID is derived from its `product_id`
  (uuid5), the same for every item of the product and on every installation.
- Our locations are Zettle's STORE locations, by their `uuid`. Zettle's virtual locations
  (SUPPLIER: where restocks come from, SOLD, BIN: where sales and write-offs go) hold no stock
  here; each has a fixed UUID (uuid5), listed with the stores by the Zettle locations endpoint.

The namespace must never change: clients store the UUIDs derived from it."""

import uuid

NAMESPACE = uuid.UUID("83cc8b82-3d6e-4677-acd5-72b915a3dcd8")
STORE = "STORE"
SUPPLIER = "SUPPLIER"
SOLD = "SOLD"
BIN = "BIN"
VIRTUAL_TYPES = (SUPPLIER, SOLD, BIN)


def product_uuid(product_id: int) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, f"product:{product_id}")


def virtual_location_uuid(location_type: str) -> uuid.UUID:
    if location_type not in VIRTUAL_TYPES:
        raise ValueError(f"not a virtual Zettle location: {location_type!r}")
    return uuid.uuid5(NAMESPACE, f"location:{location_type}")


VIRTUAL_LOCATIONS = {virtual_location_uuid(kind): kind for kind in VIRTUAL_TYPES}
