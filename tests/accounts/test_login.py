"""Signing in by e-mail or phone, rate limits on failures, and the MFA rule for staff."""

import datetime as dt

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from accounts.models import Role
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db


def login(client: Client, login: str, password: str = PASSWORD, ip: str = "198.51.100.7"):
    return client.post(reverse("account_login"), {"login": login, "password": password}, REMOTE_ADDR=ip)


def test_a_migrant_signs_in_with_email_and_lands_on_the_dashboard(migrant):
    response = login(Client(), migrant.email)

    assert response.status_code == 302
    assert response["Location"] == reverse("frontend:dashboard")


def test_a_migrant_signs_in_with_phone_number_typed_with_spaces():
    make_user(Role.MIGRANT, email=None, phone="+4915123456789", phone_verified=True)

    response = login(Client(), "+49 151 2345 6789")

    assert response.status_code == 302
    assert response["Location"] == reverse("frontend:dashboard")


def test_a_wrong_password_is_refused_with_a_message(migrant):
    response = login(Client(), migrant.email, "not-the-password")

    assert response.status_code == 200
    assert response.context["form"].non_field_errors()


def locked_out(response) -> bool:
    """Refused for too many attempts: on the form, or (per address) with a 429 page."""
    if response.status_code == 429:
        return "too many attempts" in response.content.decode()
    return response.status_code == 200 and "Too many failed login attempts" in str(
        response.context["form"].non_field_errors()
    )


def test_after_five_failures_an_account_is_locked_even_for_the_right_password(migrant):
    client = Client()
    for _ in range(5):
        login(client, migrant.email, "wrong")

    response = login(client, migrant.email)

    assert locked_out(response)
    assert "_auth_user_id" not in client.session


def test_an_account_lockout_expires_by_itself(migrant):
    client = Client()
    start = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        for _ in range(5):
            login(client, migrant.email, "wrong")
        assert locked_out(login(client, migrant.email))
    with time_machine.travel(start + dt.timedelta(minutes=6), tick=False):
        assert login(client, migrant.email).status_code == 302


def test_many_failures_from_one_address_slow_that_address_but_not_another(db):
    users = [make_user(Role.MIGRANT) for _ in range(8)]
    client = Client()
    for user in users:
        for _ in range(4):  # under the per-account limit, over the per-address one in total
            login(client, user.email, "wrong", ip="203.0.113.5")
    fresh = make_user(Role.MIGRANT)

    assert locked_out(login(Client(), fresh.email, ip="203.0.113.5"))
    assert login(Client(), fresh.email, ip="203.0.113.99").status_code == 302


@pytest.mark.parametrize("role", [Role.COUNSELLOR, Role.COORDINATOR, Role.ADMIN])
def test_staff_without_mfa_are_sent_to_mfa_setup_from_every_page(client_for, role):
    user = make_user(role, mfa=False)
    client = client_for(user)

    for url in [reverse("frontend:dashboard"), reverse("accounts:profile"), "/admin/"]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"] == reverse("mfa_activate_totp"), url


def test_staff_without_mfa_can_still_reach_mfa_setup_and_sign_out():
    user = make_user(Role.COUNSELLOR, mfa=False)
    client = Client()
    login(client, user.email)
    assert client.get(reverse("frontend:dashboard"))["Location"] == reverse("mfa_activate_totp")

    assert client.get(reverse("mfa_activate_totp")).status_code == 200
    assert client.get(reverse("account_logout")).status_code == 200
    assert client.get(reverse("frontend:help")).status_code == 200


def test_staff_with_mfa_reach_their_dashboard(client_for, counsellor):
    assert client_for(counsellor).get(reverse("frontend:dashboard")).status_code == 200


def test_migrants_and_authors_are_not_asked_for_mfa(client_for, migrant, author):
    for user in (migrant, author):
        assert client_for(user).get(reverse("frontend:dashboard")).status_code == 200


def test_staff_with_mfa_must_give_a_code_after_the_password(counsellor):
    response = login(Client(), counsellor.email)

    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_authenticate")


def test_an_inactive_account_cannot_sign_in(migrant):
    migrant.is_active = False
    migrant.save()

    response = login(Client(), migrant.email)

    assert response.status_code == 302
    assert response["Location"] == reverse("account_inactive")


def test_setting_up_mfa_long_after_sign_in_asks_for_the_password_again():
    user = make_user(Role.COUNSELLOR, mfa=False)
    client = Client()
    start = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        login(client, user.email)
    with time_machine.travel(start + dt.timedelta(minutes=30), tick=False):
        response = client.get(reverse("mfa_activate_totp"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_reauthenticate"))


def test_staff_with_an_unverified_address_can_verify_it_before_setting_up_mfa(client_for):
    from allauth.account.models import EmailAddress, EmailConfirmationHMAC

    user = make_user(Role.COORDINATOR, mfa=False, email_verified=False)
    client = client_for(user)
    assert client.get(reverse("mfa_activate_totp"))["Location"] == reverse("mfa_index")

    key = EmailConfirmationHMAC(EmailAddress.objects.get(user=user)).key
    response = client.post(reverse("account_confirm_email", args=[key]))

    assert response.status_code == 302
    assert EmailAddress.objects.get(user=user).verified is True
