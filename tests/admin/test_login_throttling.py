"""Login throttling (django-axes): a handful of wrong passwords for one username from one address
locks that pair out, even for the right password, until the lock expires or an inventory manager
lifts it in the admin."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.test import Client
from django.urls import reverse

from tests.factories import manager, store_staff

LOGIN = reverse("admin:login")
ATTEMPTS = reverse("admin:axes_accessattempt_changelist")
PASSWORD = "right-horse-battery-staple"
ADDRESS = "203.0.113.9"


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def clerk(db):
    user = store_staff(username="clerk")
    user.set_password(PASSWORD)
    user.save()
    return user


def log_in(username: str, password: str, *, address: str = ADDRESS) -> tuple[Client, object]:
    browser = Client(REMOTE_ADDR=address)
    response = browser.post(LOGIN, {"username": username, "password": password, "next": "/admin/"})
    return browser, response


def signed_in(browser: Client) -> bool:
    return "_auth_user_id" in browser.session


def lock_out(username: str, *, address: str = ADDRESS) -> None:
    statuses = [
        log_in(username, "wrong", address=address)[1].status_code
        for _ in range(settings.AXES_FAILURE_LIMIT)
    ]
    # The form again, with its error, until the last failure locks the login.
    assert statuses == [200] * (settings.AXES_FAILURE_LIMIT - 1) + [429]


def test_wrong_passwords_lock_the_login_even_for_the_right_password(clerk):
    lock_out("clerk")

    browser, response = log_in("clerk", PASSWORD)

    assert response.status_code == 429
    page = response.content.decode()
    assert "clerk" in page
    assert "inventory manager" in page
    assert f"{settings.AXES_COOLOFF_TIME.seconds // 60} minutes" in page
    assert not signed_in(browser)
    assert browser.get("/admin/").status_code == 302  # back to the login page


def test_the_lock_is_for_that_username_from_that_address(clerk):
    other = store_staff(username="other")
    other.set_password(PASSWORD)
    other.save()
    lock_out("clerk")

    from_elsewhere, _ = log_in("clerk", PASSWORD, address="198.51.100.4")
    someone_else, _ = log_in("other", PASSWORD)

    assert signed_in(from_elsewhere)
    assert signed_in(someone_else)


def test_fewer_failures_than_the_limit_then_the_right_password_signs_in(clerk):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        log_in("clerk", "wrong")

    browser, response = log_in("clerk", PASSWORD)

    assert response.status_code == 302
    assert signed_in(browser)
    assert not AccessAttempt.objects.exists()  # a success starts the count again


def test_the_lock_expires(clerk):
    lock_out("clerk")
    earlier = settings.AXES_COOLOFF_TIME + timedelta(minutes=1)
    for attempt in AccessAttempt.objects.all():
        AccessAttempt.objects.filter(pk=attempt.pk).update(
            attempt_time=attempt.attempt_time - earlier
        )

    browser, _ = log_in("clerk", PASSWORD)

    assert signed_in(browser)


def test_a_manager_sees_the_lock_in_the_admin_and_lifts_it(clerk, client):
    lock_out("clerk")
    client.force_login(manager())

    listed = client.get(ATTEMPTS, {"locked_out": "yes"})
    assert listed.status_code == 200
    assert "clerk" in listed.content.decode()
    assert ADDRESS in listed.content.decode()
    attempt = AccessAttempt.objects.get(username="clerk")
    lifted = client.post(
        reverse("admin:axes_accessattempt_delete", args=[attempt.pk]), {"post": "yes"}
    )
    assert lifted.status_code == 302

    browser, _ = log_in("clerk", PASSWORD)

    assert signed_in(browser)


def test_store_staff_cannot_see_or_lift_locks(clerk, client):
    lock_out("clerk")
    client.force_login(store_staff())

    assert client.get(ATTEMPTS).status_code == 403
    attempt = AccessAttempt.objects.get(username="clerk")
    delete = reverse("admin:axes_accessattempt_delete", args=[attempt.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert AccessAttempt.objects.filter(pk=attempt.pk).exists()
