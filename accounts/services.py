"""Every write to accounts: keyword-only, validated, atomic."""

from collections.abc import Iterable, Sequence

from allauth.account.models import EmailAddress
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import (
    CounsellorCountry,
    CounsellorProfile,
    CounsellorTopic,
    Organisation,
    Role,
    User,
    UserLanguage,
    UserRole,
)
from accounts.permissions import ORGANISATION_ROLES
from accounts.reference import LANGUAGE_CODES, Topic, country_codes, valid_time_zones

MAX_LANGUAGES = 5


def _validate_country(code: str, field: str) -> None:
    if code and code not in country_codes():
        raise ValidationError({field: _("Choose a country from the list.")})


def _validate_time_zone(name: str) -> None:
    if name not in valid_time_zones():
        raise ValidationError({"time_zone": _("Choose a time zone from the list.")})


def organisation_create(*, name: str, country: str, website: str = "") -> Organisation:
    """Create a partner organisation."""
    _validate_country(country, "country")
    organisation = Organisation(name=name.strip(), country=country, website=website)
    organisation.full_clean()
    organisation.save()
    return organisation


@transaction.atomic
def user_create(
    *,
    display_name: str,
    password: str | None,
    email: str | None = None,
    phone: str | None = None,
    roles: Iterable[str] = (Role.MIGRANT,),
    organisation: Organisation | None = None,
    language: str = "en",
    time_zone: str = "UTC",
    country_of_origin: str = "",
    country_of_residence: str = "",
    languages: Sequence[str] = (),
    email_verified: bool = False,
    phone_verified: bool = False,
) -> User:
    """Create an account with its roles (used by seeding, admin tooling and tests)."""
    _validate_time_zone(time_zone)
    _validate_country(country_of_origin, "country_of_origin")
    _validate_country(country_of_residence, "country_of_residence")
    user = User(
        email=email.lower() if email else None,
        phone=phone or None,
        phone_verified=phone_verified and bool(phone),
        display_name=display_name.strip(),
        organisation=organisation,
        language=language,
        time_zone=time_zone,
        country_of_origin=country_of_origin,
        country_of_residence=country_of_residence,
    )
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    if email:
        EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=email_verified)
    user_roles_set(user=user, roles=roles)
    if languages:
        user_languages_set(user=user, codes=languages)
    return user


@transaction.atomic
def user_roles_set(*, user: User, roles: Iterable[str]) -> None:
    """Replace the user's roles; staff flags and counsellor profile follow."""
    wanted = set(roles)
    unknown = wanted - set(Role.values)
    if unknown:
        raise ValidationError(_("Unknown role: %(role)s") % {"role": ", ".join(sorted(unknown))})
    if wanted & ORGANISATION_ROLES and user.organisation_id is None:
        raise ValidationError(
            {"organisation": _("Counsellors and coordinators must belong to an organisation.")}
        )
    UserRole.objects.filter(user=user).exclude(role__in=wanted).delete()
    existing = set(UserRole.objects.filter(user=user).values_list("role", flat=True))
    UserRole.objects.bulk_create([UserRole(user=user, role=r) for r in sorted(wanted - existing)])
    is_admin = Role.ADMIN in wanted
    if user.is_staff != is_admin or user.is_superuser != is_admin:
        user.is_staff = user.is_superuser = is_admin
        user.save(update_fields=["is_staff", "is_superuser"])
    if Role.COUNSELLOR in wanted:
        CounsellorProfile.objects.get_or_create(user=user)
    user._role_set = frozenset(wanted)


@transaction.atomic
def user_languages_set(*, user: User, codes: Sequence[str]) -> list[str]:
    """Store the languages a person speaks, in order of preference (duplicates dropped)."""
    ordered = list(dict.fromkeys(c for c in codes if c))
    if len(ordered) > MAX_LANGUAGES:
        raise ValidationError({"languages": _("Choose at most %(n)d languages.") % {"n": MAX_LANGUAGES}})
    unknown = [c for c in ordered if c not in LANGUAGE_CODES]
    if unknown:
        raise ValidationError({"languages": _("Choose languages from the list.")})
    UserLanguage.objects.filter(user=user).delete()
    UserLanguage.objects.bulk_create(
        [UserLanguage(user=user, code=code, position=i) for i, code in enumerate(ordered)]
    )
    return ordered


@transaction.atomic
def user_profile_update(
    *,
    user: User,
    display_name: str,
    country_of_origin: str,
    country_of_residence: str,
    time_zone: str,
    language: str,
    data_saver: bool,
    languages: Sequence[str],
    read_receipts: bool = True,
) -> User:
    """Update what a person tells us about themselves."""
    _validate_time_zone(time_zone)
    _validate_country(country_of_origin, "country_of_origin")
    _validate_country(country_of_residence, "country_of_residence")
    user.display_name = display_name.strip()
    user.country_of_origin = country_of_origin
    user.country_of_residence = country_of_residence
    user.time_zone = time_zone
    user.language = language
    user.data_saver = data_saver
    user.read_receipts = read_receipts
    user.full_clean(exclude=["password"])
    user.save(
        update_fields=[
            "display_name",
            "country_of_origin",
            "country_of_residence",
            "time_zone",
            "language",
            "data_saver",
            "read_receipts",
        ]
    )
    user_languages_set(user=user, codes=languages)
    return user


def user_language_set(*, user: User, language: str) -> None:
    """Remember the interface language chosen with the language switcher."""
    if language != user.language:
        user.language = language
        user.save(update_fields=["language"])


@transaction.atomic
def counsellor_profile_update(
    *,
    user: User,
    bio: str,
    accepting_new_clients: bool,
    countries: Iterable[str],
    topics: Iterable[str],
) -> CounsellorProfile:
    """Update what migrants see about a counsellor."""
    if not user.has_role(Role.COUNSELLOR):
        raise ValidationError(_("Only counsellors have a counsellor profile."))
    countries = sorted(set(countries))
    topics = sorted(set(topics))
    for code in countries:
        _validate_country(code, "countries")
    if set(topics) - set(Topic.values):
        raise ValidationError({"topics": _("Choose topics from the list.")})
    profile, _created = CounsellorProfile.objects.select_for_update().get_or_create(user=user)
    profile.bio = bio.strip()
    profile.accepting_new_clients = accepting_new_clients
    profile.full_clean()
    profile.save()
    CounsellorCountry.objects.filter(profile=profile).delete()
    CounsellorCountry.objects.bulk_create([CounsellorCountry(profile=profile, country=c) for c in countries])
    CounsellorTopic.objects.filter(profile=profile).delete()
    CounsellorTopic.objects.bulk_create([CounsellorTopic(profile=profile, topic=t) for t in topics])
    return profile
