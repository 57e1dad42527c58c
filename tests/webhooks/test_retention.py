"""Retention (issue 15, case 12): idempotency records and delivered webhook events are purged
once past their retention, by `manage.py purge` and by the webhook worker; keys are kept at
least a day, and nothing else goes."""

import io
import subprocess
import sys
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.utils import timezone

from inventory.models import (
    IdempotencyRecord,
    WebhookAttempt,
    WebhookEndpoint,
    WebhookEvent,
    WebhookScope,
)

pytestmark = pytest.mark.django_db


def record(key, age):
    made = IdempotencyRecord.objects.create(scope="client:1", key=key, fingerprint="f" * 64)
    IdempotencyRecord.objects.filter(pk=made.pk).update(created_at=timezone.now() - age)


def event(hook, name, *, delivered=None, failed=None, age=timedelta(days=60)):
    """An event created `age` ago, delivered or failed that long ago (`delivered`/`failed`
    are ages too), with one attempt."""
    now = timezone.now()
    made = WebhookEvent.objects.create(
        endpoint=hook,
        scope=WebhookScope.STOCK_CHANGED,
        data={"name": name},
        created_at=now - age,
        next_attempt_at=now - age,
        attempts=1,
        delivered_at=now - delivered if delivered is not None else None,
        failed_at=now - failed if failed is not None else None,
    )
    WebhookAttempt.objects.create(event=made, attempted_at=now - age, duration_ms=5)
    return made


@pytest.fixture
def history(settings):
    settings.IDEMPOTENCY_KEY_RETENTION_HOURS = 24
    settings.WEBHOOK_EVENT_RETENTION_DAYS = 30
    record("old", timedelta(hours=25))
    record("recent", timedelta(hours=23))
    hook = WebhookEndpoint.objects.create(
        name="Partner", url="https://partner.example.com/", events=[WebhookScope.STOCK_CHANGED]
    )
    event(hook, "delivered long ago", delivered=timedelta(days=31))
    event(hook, "delivered lately", delivered=timedelta(days=29))
    event(hook, "failed long ago", failed=timedelta(days=59))
    event(hook, "still pending")


def kept():
    keys = set(IdempotencyRecord.objects.values_list("key", flat=True))
    events = set(WebhookEvent.objects.values_list("data__name", flat=True))
    return keys, events


KEPT = ({"recent"}, {"delivered lately", "failed long ago", "still pending"})


@pytest.mark.usefixtures("history")
def test_purge_deletes_what_is_past_its_retention_and_nothing_else():
    out = io.StringIO()

    call_command("purge", stdout=out)

    assert kept() == KEPT
    assert WebhookAttempt.objects.count() == 3  # the purged event's attempt went with it
    assert out.getvalue().strip() == ("Purged 1 idempotency records, 1 delivered webhook events.")
    call_command("purge", stdout=io.StringIO())
    assert kept() == KEPT


@pytest.mark.usefixtures("history")
def test_the_webhook_worker_purges_too():
    call_command("deliver_webhooks", "--once", "--threads", "1", stdout=io.StringIO())

    assert kept() == KEPT


def test_idempotency_keys_are_kept_at_least_a_day():
    settings_check = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=django_settings.BASE_DIR,
        env={"IDEMPOTENCY_KEY_RETENTION_HOURS": "1", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert settings_check.returncode != 0
    assert "IDEMPOTENCY_KEY_RETENTION_HOURS must be at least 24" in settings_check.stderr
