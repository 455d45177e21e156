"""The counsellor directory: who can be booked, their cards, the filter choices."""

from collections.abc import Sequence
from dataclasses import dataclass

from django.core.cache import cache
from django.db.models import QuerySet

from accounts.models import CounsellorCountry, CounsellorTopic, Role, User, UserLanguage
from accounts.reference import Topic, country_name, language_name
from booking.slots import Slot


def counsellor_directory_list(*, language: str = "", country: str = "", topic: str = "") -> QuerySet[User]:
    """Active counsellors with a booking schedule, matching the filters (empty: any), with
    their organisation and profile joined."""
    matching = User.objects.filter(is_active=True, roles__role=Role.COUNSELLOR, schedule__isnull=False)
    if language:
        matching = matching.filter(languages__code=language)
    if country:
        matching = matching.filter(counsellor_profile__countries__country=country)
    if topic:
        matching = matching.filter(counsellor_profile__topics__topic=topic)
    # A subquery instead of DISTINCT over every column: the filters' joins may repeat a row, and
    # counting and paging DISTINCT rows of the full user table is what made the page slow.
    return (
        User.objects.filter(pk__in=matching.values("pk"))
        .select_related("organisation", "counsellor_profile")
        .order_by("display_name", "pk")
    )


@dataclass
class CounsellorCard:
    """What the directory and the profile page show about one counsellor (names in the
    current language)."""

    user: User
    languages: list[str]
    countries: list[str]
    topics: list[str]
    bio: str
    organisation: str
    paused: bool
    next_slot: Slot | None = None
    url: str = ""


def counsellor_cards(*, counsellors: Sequence[User]) -> list[CounsellorCard]:
    """Cards for counsellors loaded with `organisation` and `counsellor_profile` joined: three
    small queries of plain values whatever their number (no model instances per language,
    country or topic)."""
    ids = [c.pk for c in counsellors]
    languages: dict[int, list[str]] = {}
    for user_id, code in (
        UserLanguage.objects.filter(user_id__in=ids)
        .order_by("user_id", "position")
        .values_list("user_id", "code")
    ):
        languages.setdefault(user_id, []).append(language_name(code))
    countries: dict[int, list[str]] = {}
    for user_id, code in CounsellorCountry.objects.filter(profile__user_id__in=ids).values_list(
        "profile__user_id", "country"
    ):
        countries.setdefault(user_id, []).append(country_name(code))
    topics: dict[int, list[str]] = {}
    for user_id, code in CounsellorTopic.objects.filter(profile__user_id__in=ids).values_list(
        "profile__user_id", "topic"
    ):
        topics.setdefault(user_id, []).append(str(Topic(code).label))
    cards = []
    for counsellor in counsellors:
        profile = getattr(counsellor, "counsellor_profile", None)
        cards.append(
            CounsellorCard(
                user=counsellor,
                languages=languages.get(counsellor.pk, []),
                countries=sorted(countries.get(counsellor.pk, [])),
                topics=topics.get(counsellor.pk, []),
                bio=profile.bio if profile else "",
                organisation=counsellor.organisation.name if counsellor.organisation else "",
                paused=profile is None or not profile.accepting_new_clients,
            )
        )
    return cards


def counsellor_get(*, counsellor_id: int) -> User | None:
    """One active counsellor with everything their profile page shows, or None."""
    return (
        User.objects.filter(pk=counsellor_id, is_active=True, roles__role=Role.COUNSELLOR)
        .select_related("organisation", "counsellor_profile", "schedule")
        .prefetch_related("languages", "counsellor_profile__countries", "counsellor_profile__topics")
        .first()
    )


# The directory's filter choices change when a counsellor's profile does; a minute old is fine
# (a choice that is asked for is always kept), and it spares two scans of every counsellor.
CHOICES_TTL = 60


def directory_languages() -> list[str]:
    """Codes of the languages that bookable counsellors speak."""
    return cache.get_or_set("booking:directory:languages", _directory_languages, CHOICES_TTL) or []


def directory_countries() -> list[str]:
    """Codes of the countries that bookable counsellors serve."""
    return cache.get_or_set("booking:directory:countries", _directory_countries, CHOICES_TTL) or []


def _directory_languages() -> list[str]:
    return list(
        UserLanguage.objects.filter(
            user__is_active=True, user__roles__role=Role.COUNSELLOR, user__schedule__isnull=False
        )
        # Without the model's ordering, which would make every (user, position) distinct.
        .order_by("code")
        .values_list("code", flat=True)
        .distinct()
    )


def _directory_countries() -> list[str]:
    return list(
        CounsellorCountry.objects.filter(
            profile__user__is_active=True,
            profile__user__roles__role=Role.COUNSELLOR,
            profile__user__schedule__isnull=False,
        )
        .order_by("country")
        .values_list("country", flat=True)
        .distinct()
    )
