import json

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client, override_settings
from django.urls import reverse

from accounts import services
from accounts.models import Role, User
from accounts.reference import Topic
from accounts.sms import FileSMSBackend
from frontend.outbox import read_mail_outbox
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def test_home_explains_the_three_services_to_visitors():
    page = Client().get("/").content.decode()

    for words in ("Talk to a counsellor", "Learn", "Help with data costs", "Create a free account"):
        assert words in page


def test_signed_in_people_land_on_their_dashboard(client_for, migrant):
    response = client_for(migrant).get("/")

    assert response.status_code == 302
    assert response["Location"] == reverse("frontend:dashboard")


def test_a_migrant_without_languages_is_asked_to_complete_the_profile(client_for, migrant):
    page = client_for(migrant).get(reverse("frontend:dashboard")).content.decode()

    assert "Complete your profile" in page
    assert "Sign-in security" not in page


def test_a_migrant_with_a_complete_profile_sees_it_summarised_in_their_language(client_for):
    user = make_user(Role.MIGRANT, languages=["ar", "fr"], country_of_origin="SY", language="de")

    page = client_for(user).get(reverse("frontend:dashboard")).content.decode()

    assert "Arabisch, Französisch" in page  # language names from CLDR, in German
    assert "Syrien" in page


def test_a_counsellor_sees_what_migrants_see_about_them_and_sign_in_security(client_for, counsellor):
    services.counsellor_profile_update(
        user=counsellor, bio="", accepting_new_clients=True, countries=["NG"], topics=[Topic.RETURN]
    )

    page = client_for(counsellor).get(reverse("frontend:dashboard")).content.decode()

    assert "What migrants see about you" in page
    assert "Nigeria" in page
    assert "Return and reintegration" in page
    assert "Two-step sign-in is on" in page


def test_an_admin_gets_a_way_to_the_administration(client_for, admin_user):
    page = client_for(admin_user).get(reverse("frontend:dashboard")).content.decode()

    assert reverse("admin:index") in page


def test_pages_carry_a_language_switcher_and_a_help_link():
    page = Client().get(reverse("account_login")).content.decode()

    assert 'name="language"' in page
    assert reverse("frontend:help") in page
    for code in ("en", "de", "el", "ar", "fa", "ps", "fr", "es"):
        assert f'value="{code}"' in page


def test_pages_have_a_content_security_policy_with_no_inline_script():
    response = Client().get("/")

    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "<script>" not in response.content.decode()


def test_the_service_worker_caches_the_shell_and_the_offline_page():
    response = Client().get(reverse("frontend:service_worker"))

    assert response["Content-Type"].startswith("text/javascript")
    body = response.content.decode()
    assert reverse("frontend:offline") in body
    assert "/static/frontend/css/passage.css" in body
    assert "no-cache" in response["Cache-Control"]


def test_the_manifest_is_valid_json_in_the_visitors_language():
    client = Client()
    client.cookies["django_language"] = "ar"

    manifest = json.loads(client.get(reverse("frontend:manifest")).content)

    assert manifest["lang"] == "ar"
    assert manifest["dir"] == "rtl"
    assert manifest["start_url"] == "/"
    assert {icon["sizes"] for icon in manifest["icons"]} >= {"192x192", "512x512"}


def test_development_outboxes_are_hidden_without_debug():
    assert Client().get(reverse("frontend:dev_sms")).status_code == 404
    assert Client().get(reverse("frontend:dev_mail")).status_code == 404


def test_with_debug_the_sms_outbox_lists_texts_written_to_var_sms(settings, tmp_path):
    settings.SMS_DIR = tmp_path / "sms"
    FileSMSBackend().send(to="+4915123456789", body="Your Passage code is 123456.")

    with override_settings(DEBUG=True):
        page = Client().get(reverse("frontend:dev_sms")).content.decode()

    assert "Your Passage code is 123456." in page
    assert "+4915123456789" in page


def test_with_debug_the_mail_outbox_shows_mail_written_to_var_mail(settings, tmp_path):
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "OPTIONS": {"file_path": str(tmp_path)},
        }
    }
    mail.send_mail("Welcome - مرحبا", "Body with ünïcödé", None, ["amina@example.org"])

    mails = read_mail_outbox()

    assert [(m.subject, m.to) for m in mails] == [("Welcome - مرحبا", "amina@example.org")]
    assert "ünïcödé" in mails[0].body


def test_seed_demo_creates_the_demo_users_once(capsys):
    call_command("seed_demo")
    call_command("seed_demo")

    emails = set(User.objects.values_list("email", flat=True))
    # Besides the accounts people sign in with, the demo courses have learners (no password)
    # so that progress tables and charts have something to show.
    learners = {f"learner{n:02d}@demo.test" for n in range(1, 13)}
    assert learners <= emails
    assert emails - learners == {
        "migrant@demo.test",
        "migrant2@demo.test",
        "counsellor@demo.test",
        "counsellor2@demo.test",
        "coordinator@demo.test",
        "coordinator2@demo.test",
        "coordinator3@demo.test",
        "interpreter@demo.test",
        "author@demo.test",
        "admin@demo.test",
    }
    assert "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP" in capsys.readouterr().out
    counsellor = User.objects.get(email="counsellor@demo.test")
    assert counsellor.check_password("demo-pass-123")
    assert counsellor.role_set == {Role.COUNSELLOR}


def test_seed_demo_refuses_production_settings(settings):
    settings.ENVIRONMENT = "production"

    with pytest.raises(CommandError, match="production"):
        call_command("seed_demo")
    assert not User.objects.exists()


def test_pages_of_a_signed_in_person_are_private(client_for, migrant):
    response = client_for(migrant).get(reverse("frontend:dashboard"))

    assert "private" in response["Cache-Control"]
    assert "no-cache" in response["Cache-Control"]


def test_public_pages_for_visitors_are_not_marked_private():
    assert "private" not in Client().get(reverse("frontend:help")).get("Cache-Control", "")


def test_a_name_inside_a_translated_sentence_is_set_apart_and_escaped():
    from frontend.templatetags.when import bdi

    assert bdi("Mariam <b>Karimi</b>") == "<bdi>Mariam &lt;b&gt;Karimi&lt;/b&gt;</bdi>"
