"""Profile pages and the language switcher."""

import pytest
from django.test import Client
from django.urls import reverse

from accounts import selectors
from accounts.models import Role
from accounts.reference import Topic
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def profile_data(**overrides: str) -> dict[str, str]:
    data = {
        "display_name": "Amina B.",
        "language_1": "ha",
        "language_2": "en",
        "language_3": "",
        "country_of_origin": "NG",
        "country_of_residence": "DE",
        "time_zone": "Europe/Berlin",
        "language": "de",
        "data_saver": "on",
    }
    data.update(overrides)
    return data


def test_a_migrant_saves_their_profile_and_sees_the_site_in_the_chosen_language(client_for, migrant):
    client = client_for(migrant)

    response = client.post(reverse("accounts:profile"), profile_data())

    assert response.status_code == 302
    migrant.refresh_from_db()
    assert migrant.display_name == "Amina B."
    assert migrant.language == "de"
    assert migrant.data_saver is True
    assert selectors.user_language_codes(user=migrant) == ["ha", "en"]
    assert client.get(reverse("frontend:dashboard"))["Content-Language"] == "de"


def test_read_receipts_are_on_until_the_person_turns_them_off(client_for, migrant):
    assert migrant.read_receipts is True
    data = profile_data()
    data.pop("read_receipts", None)  # an unticked box is not sent

    client_for(migrant).post(reverse("accounts:profile"), data)

    migrant.refresh_from_db()
    assert migrant.read_receipts is False


def test_a_profile_with_an_unknown_time_zone_shows_an_error_and_saves_nothing(client_for, migrant):
    response = client_for(migrant).post(reverse("accounts:profile"), profile_data(time_zone="Nowhere/City"))

    assert response.status_code == 200
    assert response.context["form"].errors["time_zone"]
    migrant.refresh_from_db()
    assert migrant.display_name == "Amina"


def test_the_profile_page_needs_a_signed_in_user():
    response = Client().get(reverse("accounts:profile"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_a_counsellor_edits_countries_and_topics(client_for, counsellor):
    response = client_for(counsellor).post(
        reverse("accounts:counsellor_profile"),
        {"bio": "Hello", "countries": ["NG", "GH"], "topics": [Topic.RETURN], "accepting_new_clients": ""},
    )

    assert response.status_code == 302
    profile = selectors.counsellor_profile_get(user=counsellor)
    assert profile.accepting_new_clients is False
    assert {c.country for c in profile.countries.all()} == {"NG", "GH"}


def test_a_migrant_cannot_open_the_counsellor_profile(client_for, migrant):
    assert client_for(migrant).get(reverse("accounts:counsellor_profile")).status_code == 403


def test_the_language_switcher_sets_a_cookie_for_visitors_and_returns_to_the_page():
    client = Client()

    response = client.post(reverse("accounts:language_set"), {"language": "fa", "next": "/help/"})

    assert response.status_code == 302
    assert response["Location"] == "/help/"
    assert client.cookies["django_language"].value == "fa"
    page = client.get("/help/")
    assert page["Content-Language"] == "fa"
    assert 'dir="rtl"' in page.content.decode()


def test_the_language_switcher_remembers_the_choice_in_the_profile(client_for, migrant):
    client_for(migrant).post(reverse("accounts:language_set"), {"language": "ps", "next": "/"})

    migrant.refresh_from_db()
    assert migrant.language == "ps"


def test_a_signed_in_person_sees_their_saved_language_on_a_new_device(db):
    user = make_user(Role.MIGRANT, language="el")
    client = Client()
    client.cookies["django_language"] = "fr"
    client.force_login(user)

    assert client.get(reverse("frontend:dashboard"))["Content-Language"] == "el"


def test_the_language_switcher_refuses_an_unknown_language_and_a_foreign_next_url():
    client = Client()

    assert client.post(reverse("accounts:language_set"), {"language": "xx"}).status_code == 400
    response = client.post(
        reverse("accounts:language_set"), {"language": "de", "next": "https://evil.example/"}
    )
    assert response["Location"] == "/"


def test_after_a_failed_form_post_the_language_switcher_returns_to_the_form_page(client_for, counsellor):
    # A page shown in answer to a post may live at an address that takes posts only (the
    # reassignment form, for one): the switcher goes back to where the form was instead.
    form_page = "http://testserver" + reverse("booking:group_session_new")
    response = client_for(counsellor).post(
        reverse("booking:group_session_new"), {"title": ""}, HTTP_REFERER=form_page
    )
    html = response.content.decode()

    assert f'name="next" value="{form_page}"' in html
