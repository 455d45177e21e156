import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from accounts import selectors, services
from accounts.models import CounsellorProfile, Role, User
from accounts.reference import Topic
from tests.factories import OrganisationFactory, make_user

pytestmark = pytest.mark.django_db


def test_one_user_may_hold_several_roles():
    user = make_user(Role.MIGRANT, Role.AUTHOR)

    assert user.role_set == {Role.MIGRANT, Role.AUTHOR}
    assert User.objects.get(pk=user.pk).role_set == {Role.MIGRANT, Role.AUTHOR}


def test_a_counsellor_must_belong_to_an_organisation():
    user = make_user(Role.MIGRANT)

    with pytest.raises(ValidationError) as error:
        services.user_roles_set(user=user, roles=[Role.COUNSELLOR])

    assert "organisation" in error.value.message_dict
    assert User.objects.get(pk=user.pk).role_set == {Role.MIGRANT}


def test_granting_the_counsellor_role_creates_the_counsellor_profile():
    user = make_user(Role.MIGRANT, organisation=OrganisationFactory())

    services.user_roles_set(user=user, roles=[Role.MIGRANT, Role.COUNSELLOR])

    assert CounsellorProfile.objects.filter(user=user).exists()


def test_the_admin_role_grants_and_removing_it_revokes_access_to_the_admin_site():
    user = make_user(Role.ADMIN)
    assert user.is_staff and user.is_superuser

    services.user_roles_set(user=user, roles=[Role.MIGRANT])

    user.refresh_from_db()
    assert not user.is_staff and not user.is_superuser


def test_an_unknown_role_is_refused():
    with pytest.raises(ValidationError):
        services.user_roles_set(user=make_user(), roles=["wizard"])


def test_the_database_refuses_an_account_without_email_and_phone():
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(display_name="Nobody", email=None, phone=None)


def test_the_database_refuses_a_phone_number_not_in_international_form():
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(display_name="Local", phone="015123456789")


def test_languages_keep_the_order_of_preference_without_duplicates():
    user = make_user()

    services.user_languages_set(user=user, codes=["ps", "fa", "ps", "en"])

    assert selectors.user_language_codes(user=user) == ["ps", "fa", "en"]


def test_an_unknown_language_code_is_refused_and_old_languages_are_kept():
    user = make_user(languages=["ar"])

    with pytest.raises(ValidationError):
        services.user_languages_set(user=user, codes=["xx"])

    assert selectors.user_language_codes(user=user) == ["ar"]


def test_an_invalid_time_zone_is_refused_and_nothing_changes():
    user = make_user(time_zone="Europe/Berlin", display_name="Old name")

    with pytest.raises(ValidationError) as error:
        services.user_profile_update(
            user=user,
            display_name="New name",
            country_of_origin="NG",
            country_of_residence="DE",
            time_zone="Mars/Olympus",
            language="en",
            data_saver=False,
            languages=["en"],
        )

    assert "time_zone" in error.value.message_dict
    user.refresh_from_db()
    assert (user.display_name, user.time_zone) == ("Old name", "Europe/Berlin")


def test_a_counsellor_profile_stores_countries_and_topics():
    user = make_user(Role.COUNSELLOR)

    services.counsellor_profile_update(
        user=user,
        bio="Return to Nigeria",
        accepting_new_clients=False,
        countries=["NG", "GH", "NG"],
        topics=[Topic.RETURN, Topic.WORK],
    )

    profile = selectors.counsellor_profile_get(user=user)
    assert sorted(c.country for c in profile.countries.all()) == ["GH", "NG"]
    assert sorted(t.topic for t in profile.topics.all()) == [Topic.RETURN, Topic.WORK]
    assert profile.accepting_new_clients is False


def test_an_unknown_country_in_a_counsellor_profile_is_refused_and_nothing_is_half_written():
    user = make_user(Role.COUNSELLOR)
    services.counsellor_profile_update(
        user=user, bio="Before", accepting_new_clients=True, countries=["NG"], topics=[Topic.RETURN]
    )

    with pytest.raises(ValidationError):
        services.counsellor_profile_update(
            user=user, bio="After", accepting_new_clients=True, countries=["ZZ"], topics=[Topic.WORK]
        )

    profile = selectors.counsellor_profile_get(user=user)
    assert profile.bio == "Before"
    assert [c.country for c in profile.countries.all()] == ["NG"]


def test_a_migrant_has_no_counsellor_profile_to_edit():
    with pytest.raises(ValidationError):
        services.counsellor_profile_update(
            user=make_user(), bio="", accepting_new_clients=True, countries=[], topics=[]
        )


def test_counsellor_profile_selector_loads_everything_in_a_fixed_number_of_queries(
    django_assert_num_queries,
):
    user = make_user(Role.COUNSELLOR, languages=["en", "yo"])
    services.counsellor_profile_update(
        user=user, bio="", accepting_new_clients=True, countries=["NG", "GH"], topics=list(Topic.values)
    )

    with django_assert_num_queries(4):
        profile = selectors.counsellor_profile_get(user=user)
        _ = [c.country for c in profile.countries.all()]
        _ = [t.topic for t in profile.topics.all()]
        _ = [lang.code for lang in profile.user.languages.all()]
        _ = profile.user.organisation.name


@pytest.mark.parametrize("interface", ["en", "de", "el", "ar", "fa", "ps", "fr", "es"])
def test_every_offered_language_has_a_name_in_every_interface_language(interface):
    from django.utils import translation

    from accounts.reference import LANGUAGE_CODES, language_name

    with translation.override(interface):
        unnamed = [code for code in LANGUAGE_CODES if language_name(code) == code]

    assert unnamed == []
