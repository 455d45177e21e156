"""Sign-up by phone number or e-mail address, and phone verification."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Role, User
from accounts.sms import MemorySMSBackend

pytestmark = pytest.mark.django_db

PASSWORD = "walnut-river-1984"


def signup(client: Client, **fields: str):
    data = {"display_name": "Amina", "password1": PASSWORD, "password2": PASSWORD, "time_zone": ""}
    data.update(fields)
    return client.post(reverse("account_signup"), data)


def last_code() -> str:
    match = re.search(r"\b(\d{6})\b", MemorySMSBackend.outbox[-1].body)
    assert match, MemorySMSBackend.outbox[-1].body
    return match.group(1)


def test_signup_by_phone_creates_a_migrant_without_email_and_texts_a_code():
    client = Client()
    response = signup(client, phone="+49 151 2345 6789", time_zone="Europe/Berlin")

    assert response.status_code == 302
    assert response["Location"] == reverse("account_verify_phone")
    user = User.objects.get(phone="+4915123456789")
    assert user.email is None
    assert user.phone_verified is False
    assert user.display_name == "Amina"
    assert user.time_zone == "Europe/Berlin"
    assert user.role_set == {Role.MIGRANT}
    assert [sms.to for sms in MemorySMSBackend.outbox] == ["+4915123456789"]


def test_the_texted_code_verifies_the_phone_and_signs_the_person_in():
    client = Client()
    signup(client, phone="+4915123456789")

    response = client.post(reverse("account_verify_phone"), {"code": last_code()})

    assert response.status_code == 302
    user = User.objects.get(phone="+4915123456789")
    assert user.phone_verified is True
    assert client.get(reverse("frontend:dashboard")).status_code == 200


def test_the_code_page_asks_for_digits_so_phones_show_the_number_pad():
    client = Client()
    signup(client, phone="+4915123456789")

    page = client.get(reverse("account_verify_phone")).content.decode()

    assert 'inputmode="numeric"' in page
    assert 'autocomplete="one-time-code"' in page


def test_a_wrong_code_is_refused_and_the_phone_stays_unverified():
    client = Client()
    signup(client, phone="+4915123456789")
    wrong = "000000" if last_code() != "000000" else "111111"

    response = client.post(reverse("account_verify_phone"), {"code": wrong})

    assert response.status_code == 200
    assert response.context["form"].errors
    assert User.objects.get(phone="+4915123456789").phone_verified is False


@pytest.mark.parametrize("phone", ["12345", "+49 12", "0151 2345678", "+999 123456789", "+49 abc"])
def test_a_malformed_phone_number_is_refused_with_a_clear_message_and_nothing_is_created(phone):
    response = signup(Client(), phone=phone)

    assert response.status_code == 200
    assert "country code" in str(response.context["form"].errors["phone"])
    assert User.objects.count() == 0
    assert MemorySMSBackend.outbox == []


def test_a_phone_number_written_with_00_is_stored_in_international_form():
    signup(Client(), phone="0049 151 23456789")

    assert User.objects.filter(phone="+4915123456789").exists()


def test_signup_without_phone_or_email_is_refused():
    response = signup(Client())

    assert response.status_code == 200
    assert "phone number or an e-mail address" in str(response.context["form"].non_field_errors())
    assert User.objects.count() == 0


def test_signup_by_email_only_needs_no_phone():
    response = signup(Client(), email="Amina@Example.org")

    assert response.status_code == 302
    user = User.objects.get()
    assert user.email == "amina@example.org"
    assert user.phone is None
    assert MemorySMSBackend.outbox == []


def test_signup_with_a_taken_phone_creates_no_second_account_and_tells_the_owner(migrant):
    migrant.phone = "+4915123456789"
    migrant.save()

    signup(Client(), phone="+4915123456789", display_name="Someone else")

    assert User.objects.filter(phone="+4915123456789").count() == 1
    assert "already has one" in MemorySMSBackend.outbox[-1].body


def test_signup_in_arabic_stores_arabic_as_the_interface_language():
    client = Client()
    client.cookies["django_language"] = "ar"

    signup(client, email="amina@example.org")

    assert User.objects.get().language == "ar"


def test_a_weak_password_is_refused_and_nothing_is_created():
    response = signup(Client(), email="a@example.org", password1="12345678", password2="12345678")

    assert response.status_code == 200
    assert response.context["form"].errors["password1"]
    assert User.objects.count() == 0


def test_signing_up_twice_with_one_number_within_seconds_shows_no_error_page():
    signup(Client(), phone="+4915123456789")

    response = signup(Client(), phone="+4915123456789", display_name="Again")

    assert response.status_code in (302, 429)
    assert User.objects.filter(phone="+4915123456789").count() == 1


@pytest.mark.parametrize("language", ["de", "ar", "ps"])
def test_errors_on_the_signup_form_speak_the_visitors_language(language):
    from django.utils import translation

    from accounts.phone import INVALID_PHONE

    client = Client()
    client.cookies["django_language"] = language

    response = signup(client, phone="12345")

    with translation.override(language):
        expected = str(INVALID_PHONE)
    with translation.override("en"):
        assert expected != str(INVALID_PHONE)
    assert expected in str(response.context["form"].errors["phone"])


def test_a_wrong_code_is_refused_in_the_persons_language():
    from allauth.account.adapter import get_adapter
    from django.utils import translation

    client = Client()
    client.cookies["django_language"] = "fa"
    signup(client, phone="+4915123456789")
    wrong = "000000" if last_code() != "000000" else "111111"

    response = client.post(reverse("account_verify_phone"), {"code": wrong})

    with translation.override("fa"):
        expected = str(get_adapter().error_messages["incorrect_code"])
    assert expected in str(response.context["form"].errors)
    assert "Incorrect code" not in str(response.context["form"].errors)
