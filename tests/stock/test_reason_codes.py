"""Every adjustment may carry a reason code and an outside reference beside its free-text note,
stored the same by the one-statement path and the full path."""

import pytest

from inventory.models import Adjustment
from inventory.stock import LineInput, apply_adjustment, request_fingerprint
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

Kind = Adjustment.Kind
Code = Adjustment.ReasonCode


def add_one(item, location, **why):
    return apply_adjustment(
        kind=Kind.RELATIVE,
        lines=[LineInput(sku=item.sku, location_id=location.pk, quantity=1)],
        source=Adjustment.Source.ADMIN,
        **why,
    )


@pytest.mark.parametrize("path", ["plain", "full"])
def test_reason_code_note_and_reference_are_stored(request, path, item, location):
    if path == "full":
        request.getfixturevalue("full_path")
    adjustment = add_one(
        item, location, reason_code=Code.DAMAGED, reason="Dropped", reference="PO-1001"
    )
    stored = Adjustment.objects.get(pk=adjustment.pk)
    assert (stored.reason_code, stored.reason, stored.reference) == (
        "damaged",
        "Dropped",
        "PO-1001",
    )
    assert stored.get_reason_code_display() == "Damaged"


def test_a_keyed_retry_with_another_reason_code_is_a_different_request(item, location):
    lines = [LineInput(sku=item.sku, location_id=location.pk, quantity=1)]

    def hashed(**why):
        return request_fingerprint(kind=Kind.RELATIVE, lines=lines, reason="x", **why)

    assert hashed() == hashed(reason_code="", reference="")
    assert len({hashed(), hashed(reason_code="damaged"), hashed(reference="PO-1")}) == 3


def test_a_keyed_write_keeps_its_reason_code(item, location):
    user = UserFactory()
    first = add_one(item, location, reason_code=Code.RECEIVED, actor=user, idempotency_key="k-1")
    again = add_one(item, location, reason_code=Code.RECEIVED, actor=user, idempotency_key="k-1")
    assert again.replayed
    assert again.pk == first.pk
    assert Adjustment.objects.get(pk=first.pk).reason_code == "received"
