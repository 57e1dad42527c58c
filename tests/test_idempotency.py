"""`inventory.idempotency`: the one claim -> act -> remember sequence, its fingerprint and its
scopes. The entry points that use it (API writes, Zettle's externalUuid, the stocktake forms,
the API client form) are tested through their own routes and pages."""

import pytest

from inventory import idempotency
from inventory.errors import IdempotencyKeyReused
from inventory.idempotency import Kept
from inventory.models import ApiClient, IdempotencyRecord
from tests.factories import manager


class Counter:
    def __init__(self):
        self.calls = 0

    def __call__(self) -> dict:
        self.calls += 1
        return {"call": self.calls}


def run(act, *, key="k-1", fingerprint="f-1", scope="client:1"):
    return idempotency.run_once(
        scope=scope,
        key=key,
        fingerprint=fingerprint,
        act=act,
        keep=lambda body: Kept(body=body, status=201),
        replay=lambda record: ("replayed", record.response_status, record.response_body),
    )


@pytest.mark.django_db
def test_a_repeat_is_answered_from_the_record_without_acting():
    act = Counter()
    assert run(act) == {"call": 1}
    assert run(act) == ("replayed", 201, {"call": 1})
    assert act.calls == 1


@pytest.mark.django_db
def test_the_key_for_another_request_is_refused_and_nothing_acts():
    act = Counter()
    run(act)
    with pytest.raises(IdempotencyKeyReused):
        run(act, fingerprint="f-2")
    assert act.calls == 1


@pytest.mark.django_db
def test_a_refused_act_stores_nothing_so_the_key_may_be_retried():
    def refuse():
        raise ValueError("refused")

    with pytest.raises(ValueError, match="refused"):
        run(refuse)
    assert not IdempotencyRecord.objects.exists()
    assert run(Counter()) == {"call": 1}


@pytest.mark.django_db
def test_without_a_key_every_call_acts_and_nothing_is_stored_or_hashed():
    act = Counter()

    def never_hashed() -> str:
        raise AssertionError("a request without a key is not fingerprinted")

    assert run(act, key=None, fingerprint=never_hashed) == {"call": 1}
    assert run(act, key=None, fingerprint=never_hashed) == {"call": 2}
    assert not IdempotencyRecord.objects.exists()


@pytest.mark.django_db
def test_one_key_in_two_scopes_is_two_keys():
    act = Counter()
    run(act, scope="client:1")
    assert run(act, scope="client:2") == {"call": 2}


def test_the_fingerprint_ignores_key_order_and_tells_values_apart():
    assert idempotency.fingerprint("POST", {"a": 1, "b": [2]}) == idempotency.fingerprint(
        "POST", {"b": [2], "a": 1}
    )
    assert idempotency.fingerprint("POST", {"a": 1}) != idempotency.fingerprint("POST", {"a": 2})
    assert len(idempotency.fingerprint("x")) == 64


@pytest.mark.django_db
def test_scopes_keep_clients_users_and_areas_apart():
    user = manager()
    client = ApiClient.objects.create(name="partner", scopes=[])
    scopes = {
        idempotency.scope_of(api_client=client),
        idempotency.scope_of(actor=user),
        idempotency.scope_of(actor=user, area=idempotency.STOCKTAKE_FORMS),
        idempotency.scope_of(),
    }
    assert len(scopes) == 4
    assert idempotency.scope_of(actor=user, api_client=client) == f"client:{client.pk}"


def test_key_families_never_equal_a_plain_key():
    value = "0f6c"
    assert idempotency.key_of(idempotency.ZETTLE_EXTERNAL_UUID, value) != value
    assert idempotency.key_of(idempotency.ZETTLE_EXTERNAL_UUID, value) != idempotency.key_of(
        idempotency.API_CLIENT_FORM, value
    )
