"""`update_settings` runs once per idempotency key, as `apply_adjustment` does: a retry changes
nothing and answers the same, another request under the key is refused. (What the settings do
is tested through the API, tests/api/bigcommerce/test_stock.py, and with the alerts.)"""

import pytest

from inventory import idempotency
from inventory.errors import IdempotencyKeyReused
from inventory.models import (
    Adjustment,
    AdjustmentLine,
    Balance,
    IdempotencyRecord,
    WebhookEndpoint,
    WebhookEvent,
    WebhookScope,
)
from inventory.stock import LineInput, SettingsInput, apply_adjustment, update_settings
from tests.factories import UserFactory, set_stock

pytestmark = pytest.mark.django_db

Source = Adjustment.Source


@pytest.fixture
def stocked(item, location):
    set_stock(item, location, 10)
    WebhookEndpoint.objects.create(
        name="Partner",
        url="https://partner.example.com/hooks",
        events=[scope.value for scope in WebhookScope],
    )
    return item, location


def change(item, location, *, key="k-1", actor=None, **settings):
    return update_settings(
        lines=[SettingsInput(location_id=location.pk, sku=item.sku, **settings)],
        source=Source.ADMIN,
        actor=actor,
        idempotency_key=key,
    )


def everything():
    """All that a settings change writes."""
    return (
        sorted(
            Balance.objects.values_list(
                "item_id", "location_id", "quantity", "safety_stock", "warning_level", "updated_at"
            )
        ),
        Adjustment.objects.count(),
        AdjustmentLine.objects.count(),
        IdempotencyRecord.objects.count(),
        WebhookEvent.objects.count(),
    )


def test_a_retry_with_the_same_key_changes_nothing_and_answers_the_same(stocked):
    user = UserFactory()
    first = change(*stocked, actor=user, safety_stock=2, warning_level=4)
    after_first = everything()

    retry = change(*stocked, actor=user, safety_stock=2, warning_level=4)

    assert (retry.pk, retry.transaction_id) == (first.pk, first.transaction_id)
    assert (first.replayed, retry.replayed) == (False, True)
    assert everything() == after_first
    assert after_first[0][0][3:5] == (2, 4)


def test_the_same_key_for_other_settings_is_refused_and_changes_nothing(stocked):
    user = UserFactory()
    change(*stocked, actor=user, safety_stock=2)
    before = everything()

    with pytest.raises(IdempotencyKeyReused):
        change(*stocked, actor=user, safety_stock=3)

    assert everything() == before


def test_a_key_used_for_a_stock_change_is_refused_for_a_settings_change(stocked):
    item, location = stocked
    user = UserFactory()
    apply_adjustment(
        kind=Adjustment.Kind.RELATIVE,
        lines=[LineInput(location_id=location.pk, sku=item.sku, quantity=1)],
        source=Source.ADMIN,
        actor=user,
        idempotency_key="k-1",
    )
    before = everything()

    with pytest.raises(IdempotencyKeyReused):
        change(item, location, actor=user, safety_stock=2)

    assert everything() == before


def test_a_settings_change_is_fingerprinted_by_the_one_fingerprint(stocked, monkeypatch):
    made = []
    one_fingerprint = idempotency.fingerprint

    def recorded(*parts):
        made.append(one_fingerprint(*parts))
        return made[-1]

    monkeypatch.setattr(idempotency, "fingerprint", recorded)

    change(*stocked, safety_stock=2)

    assert IdempotencyRecord.objects.get().fingerprint in made
