"""Races that only a real database shows: run against PostgreSQL by .ci/run."""

import threading

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from accounts.models import User

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_ten_simultaneous_signups_with_one_phone_number_make_one_account_and_no_error_page():
    barrier = threading.Barrier(10)
    statuses: list[int] = []

    def sign_up(n: int) -> None:
        client = Client()
        barrier.wait()
        try:
            response = client.post(
                reverse("account_signup"),
                {
                    "display_name": f"Tap {n}",
                    "phone": "+4915123456789",
                    "password1": "walnut-river-1984",
                    "password2": "walnut-river-1984",
                },
            )
            statuses.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=sign_up, args=(n,)) for n in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert User.objects.filter(phone="+4915123456789").count() == 1
    assert len(statuses) == 10
    # Winners see the code page; the others the "account exists" answer, or "wait a
    # moment" when the owner was already texted within the last 30 s.
    assert all(status in (200, 302, 429) for status in statuses), statuses


def test_postgresql_enforces_the_account_constraints():
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(display_name="Nobody", email=None, phone=None)
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(display_name="Local", phone="015123456789")
    assert connection.vendor == "postgresql"
